#!/usr/bin/python3
"""`cmake --install` into a temporary prefix: the files land in their XDG places, the desktop
file and metainfo name what is installed, the installed binaries carry no path into the build
folder and run from the prefix, and the installed headbench-cli loads the SentencePiece plugin
installed beside it (not the build folder's copy) to extract features.

Usage: install_layout_test.py CMAKE BUILD_DIR VERSION LIBDIR MODELS_DIR TOKENIZERS_DIR [--gui]
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

CMAKE, BUILD, VERSION, LIBDIR, MODELS, TOKENIZERS = sys.argv[1:7]
GUI = "--gui" in sys.argv[7:]
APP_ID = "org.headbench.HeadBench"


def run(args, env=None, **kwargs):
    proc = subprocess.run(args, capture_output=True, text=True, env=env, **kwargs)
    if proc.returncode != 0:
        raise AssertionError(f"{args}: exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


def clean_env(**extra):
    """No override of the plugin's path: the binaries must find it themselves."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEADBENCH_") and k != "LD_LIBRARY_PATH"}
    env.update(extra)
    return env


class InstallLayout(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="headbench-install-")
        cls.prefix = os.path.join(cls.tmp.name, "prefix")
        run([CMAKE, "--install", BUILD, "--prefix", cls.prefix])

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def path(self, *parts):
        return os.path.join(self.prefix, *parts)

    def binaries(self):
        return ["headbench-cli"] + (["headbench"] if GUI else [])

    def test_files_are_in_their_xdg_places(self):
        expected = [self.path("bin", b) for b in self.binaries()]
        expected.append(self.path(LIBDIR, "headbench", "headbench_sentencepiece.so"))
        # The README and docs/ beside it (Help ▸ README opens the installed README).
        expected += [self.path("share", "doc", "HeadBench", "README.md"),
                     self.path("share", "doc", "HeadBench", "docs", "FORMAT.md")]
        if GUI:
            expected += [self.path("share", "applications", f"{APP_ID}.desktop"),
                         self.path("share", "metainfo", f"{APP_ID}.metainfo.xml"),
                         self.path("share", "icons", "hicolor", "scalable", "apps", f"{APP_ID}.svg")]
        for f in expected:
            self.assertTrue(os.path.isfile(f), f"not installed: {os.path.relpath(f, self.prefix)}")
        for b in self.binaries():
            self.assertTrue(os.access(self.path("bin", b), os.X_OK), b)

    @unittest.skipUnless(GUI, "built without the window")
    def test_desktop_file_and_metainfo_name_what_is_installed(self):
        with open(self.path("share", "applications", f"{APP_ID}.desktop"), encoding="utf-8") as f:
            entry = dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)
        self.assertEqual(entry["Type"], "Application")
        self.assertTrue(os.path.isfile(self.path("bin", entry["Exec"].split()[0])), entry["Exec"])
        self.assertTrue(os.path.isfile(self.path("share", "icons", "hicolor", "scalable", "apps", entry["Icon"] + ".svg")),
                        entry["Icon"])
        meta = ET.parse(self.path("share", "metainfo", f"{APP_ID}.metainfo.xml")).getroot()
        self.assertEqual(meta.findtext("id"), APP_ID)
        self.assertEqual(meta.findtext("launchable"), f"{APP_ID}.desktop")
        self.assertEqual([r.get("version") for r in meta.iter("release")][0], VERSION,
                         "the newest release in the metainfo is not the project's version")
        self.assertEqual(sorted(b.text for b in meta.iter("binary")), sorted(self.binaries()))
        # The icon is an SVG document.
        ET.parse(self.path("share", "icons", "hicolor", "scalable", "apps", f"{APP_ID}.svg"))

    def test_installed_binaries_carry_no_library_search_paths(self):
        # LibTorch, Qt, HDF5 and SentencePiece come from the system's library paths; a RUNPATH
        # into the build folder, or $ORIGIN/../lib in /usr/bin, would load other copies first.
        files = [self.path("bin", b) for b in self.binaries()]
        files.append(self.path(LIBDIR, "headbench", "headbench_sentencepiece.so"))
        for f in files:
            dynamic = run(["readelf", "-d", f]).stdout
            self.assertEqual(re.findall(r"\((?:RPATH|RUNPATH)\).*\[(.*)\]", dynamic), [],
                             f"{os.path.relpath(f, self.prefix)} carries a library search path")

    def test_installed_binaries_report_the_project_version(self):
        self.assertEqual(run([self.path("bin", "headbench-cli"), "--version"], env=clean_env()).stdout.strip(),
                         f"headbench-cli {VERSION}")
        if GUI:
            out = run([self.path("bin", "headbench"), "--version"], env=clean_env(QT_QPA_PLATFORM="offscreen")).stdout
            self.assertEqual(out.strip(), f"HeadBench {VERSION}")

    def test_installed_cli_extracts_with_the_installed_sentencepiece_plugin(self):
        cli = self.path("bin", "headbench-cli")
        work = os.path.join(self.tmp.name, "work")
        run([cli, "demo", "--out", work, "--n", "40"], env=clean_env())
        out = os.path.join(work, "decoder.h5")
        # LD_DEBUG=files: the dynamic loader names every file it opens, so the test sees which
        # copy of the plugin was loaded (the build folder's would work too, and hide a bad path).
        proc = run([cli, "--threads", "1", "extract", "--dataset", os.path.join(work, "demo.jsonl"),
                    "--backbone", os.path.join(MODELS, "decoder_like.pt"),
                    "--tokenizer", os.path.join(TOKENIZERS, "sentencepiece", "tokenizer.model"),
                    "--pooling", "last", "--out", out, "--json"], env=clean_env(LD_DEBUG="files"))
        loaded = {os.path.realpath(p) for p in re.findall(r"file=(\S*headbench_sentencepiece\.so)", proc.stderr)}
        self.assertEqual(loaded, {os.path.realpath(self.path(LIBDIR, "headbench", "headbench_sentencepiece.so"))})
        result = json.loads(proc.stdout)
        self.assertEqual((result["status"], result["rows"]), ("extracted", 40))
        self.assertTrue(os.path.isfile(out))


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
