# `cpack -G DEB` in the build folder: headbench_VERSION_ARCH.deb, installing under /usr
# (binaries in bin/, the SentencePiece plugin in lib/headbench/, desktop files in share/).
set(CPACK_PACKAGE_NAME headbench)
set(CPACK_PACKAGE_VENDOR "HeadBench")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_DESCRIPTION
  "Cache a backbone's features for a labelled set of code snippets once, then try many \
classification heads fast (linear probe or MLP, losses, optimisers, schedules) and see which \
works and why: live training curves, confusion matrix, threshold, ROC/PR and reliability \
curves, sweeps, run comparison with McNemar's test. The desktop window is headbench, the \
headless tool headbench-cli.")
set(CPACK_PACKAGE_INSTALL_DIRECTORY headbench)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "HeadBench developers <headbench@localhost>")
set(CPACK_DEBIAN_PACKAGE_SECTION science)
# Shared libraries the binaries link (libtorch1.13, libqt6*, libhdf5-103-1, libicu72, libfmt9,
# libsentencepiece0, ...) come from dpkg-shlibdeps; what is only loaded at run time is listed:
# Qt's SVG icon engine draws the icons, OpenBLAS is the fast BLAS behind LibTorch.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libopenblas0-pthread")
if(HEADBENCH_BUILD_GUI)
  string(APPEND CPACK_DEBIAN_PACKAGE_DEPENDS ", libqt6svg6")
endif()
include(CPack)
