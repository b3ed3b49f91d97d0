// SentencePiece `tokenizer.model` (Llama, CodeLlama) through Debian's libsentencepiece, held in a
// plugin loaded on its own symbol scope (see sentencepiece/SentencePieceModule.cpp), and the
// loader that picks the tokenizer kind from the file.
#include <headbench/text/Tokenizer.h>

#include <headbench/core/Error.h>
#include <headbench/core/PluginPath.h>
#include <headbench/text/TokenizerSteps.h>
#include "text/sentencepiece/SentencePieceModule.h"

#include <dlfcn.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

namespace headbench {
namespace {

namespace fs = std::filesystem;

/// The plugin's functions, loaded once.
struct SpmApi {
    decltype(&hb_spm_load) load = nullptr;
    decltype(&hb_spm_free) free = nullptr;
    decltype(&hb_spm_info) info = nullptr;
    decltype(&hb_spm_encode) encode = nullptr;
    std::string error;
};

const SpmApi& spmApi()
{
    static SpmApi api;
    static std::once_flag once;
    std::call_once(once, [] {
        std::string tried;
        for (const fs::path& p : pluginCandidates("HEADBENCH_SENTENCEPIECE_MODULE", HEADBENCH_SPM_MODULE_NAME,
                                                  HEADBENCH_SPM_MODULE_LIBDIR, HEADBENCH_SPM_MODULE_BUILD_PATH,
                                                  HEADBENCH_SPM_MODULE_INSTALL_PATH)) {
            std::error_code ec;
            if (!fs::exists(p, ec))
                continue;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
            // The sanitizers refuse RTLD_DEEPBIND; a link-map namespace of its own isolates the
            // plugin just as well (it then has its own libstdc++, which the C interface allows).
            void* h = dlmopen(LM_ID_NEWLM, p.c_str(), RTLD_NOW | RTLD_LOCAL);
#else
            // RTLD_DEEPBIND: sentencepiece binds to its own protobuf, not to LibTorch's.
            void* h = dlopen(p.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
#endif
            if (!h) {
                tried += std::string(" ") + dlerror();
                continue;
            }
            api.load = reinterpret_cast<decltype(api.load)>(dlsym(h, "hb_spm_load"));
            api.free = reinterpret_cast<decltype(api.free)>(dlsym(h, "hb_spm_free"));
            api.info = reinterpret_cast<decltype(api.info)>(dlsym(h, "hb_spm_info"));
            api.encode = reinterpret_cast<decltype(api.encode)>(dlsym(h, "hb_spm_encode"));
            if (api.load && api.free && api.info && api.encode)
                return;
            tried += " " + p.string() + " lacks the hb_spm_* functions;";
        }
        api.error = "the SentencePiece plugin " HEADBENCH_SPM_MODULE_NAME " was not found beside the program, in "
                    "../" HEADBENCH_SPM_MODULE_LIBDIR ", in the build folder or at " HEADBENCH_SPM_MODULE_INSTALL_PATH
                    " (set HEADBENCH_SENTENCEPIECE_MODULE to its path)" + tried;
    });
    return api;
}

class SentencePieceTokenizer : public Tokenizer {
public:
    SentencePieceTokenizer(const std::string& bytes, const std::string& source)
        : m_api(spmApi())
    {
        if (!m_api.load)
            throw Error(source + ": cannot read SentencePiece models: " + m_api.error);
        char err[512] = {0};
        m_handle = m_api.load(bytes.data(), bytes.size(), err, sizeof err);
        if (!m_handle)
            throw Error(source + ": neither a tokenizer.json nor a SentencePiece model (" + err + ")");
        HbSpmInfo info{};
        m_api.info(m_handle, &info);
        m_pieces = info.pieces;
        m_bos = info.bos;
        m_pad = info.pad >= 0 ? info.pad : std::max(0, info.unk);
    }
    ~SentencePieceTokenizer() override { m_api.free(m_handle); }
    SentencePieceTokenizer(const SentencePieceTokenizer&) = delete;
    SentencePieceTokenizer& operator=(const SentencePieceTokenizer&) = delete;

    std::string kind() const override { return "sentencepiece"; }
    std::int64_t vocabSize() const override { return m_pieces; }
    std::int64_t padId() const override { return m_pad; }

    std::vector<std::int64_t> encode(std::string_view text, int maxLength) const override
    {
        // Llama's tokenizer starts every text with BOS and adds no EOS; a model without a BOS
        // piece (bos_id -1) gets none.
        std::vector<std::int64_t> ids = prefixIds();
        const std::vector<std::int64_t> body = encodeBody(text);
        for (const std::int64_t id : body) {
            if (maxLength > 0 && ids.size() >= static_cast<std::size_t>(maxLength))
                break;
            ids.push_back(id);
        }
        return ids;
    }

    std::vector<std::int64_t> encodeBody(std::string_view text) const override
    {
        std::vector<int> pieces(std::min<std::size_t>(text.size() + 16, 1 << 16));
        char err[512] = {0};
        long n = m_api.encode(m_handle, text.data(), text.size(), pieces.data(), static_cast<long>(pieces.size()), err, sizeof err);
        if (n > static_cast<long>(pieces.size())) {
            pieces.resize(static_cast<std::size_t>(n));
            n = m_api.encode(m_handle, text.data(), text.size(), pieces.data(), n, err, sizeof err);
        }
        if (n < 0)
            throw Error(std::string("SentencePiece could not encode a text: ") + err);
        return {pieces.begin(), pieces.begin() + n};
    }

    std::vector<std::int64_t> prefixIds() const override
    {
        return m_bos >= 0 ? std::vector<std::int64_t>{m_bos} : std::vector<std::int64_t>{};
    }
    std::vector<std::int64_t> suffixIds() const override { return {}; }

private:
    const SpmApi& m_api;
    void* m_handle = nullptr;
    int m_pieces = 0, m_bos = -1, m_pad = 0;
};

} // namespace

std::unique_ptr<Tokenizer> loadTokenizer(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(path + ": cannot open the tokenizer file");
    std::ostringstream buffer;
    buffer << in.rdbuf();
    const std::string bytes = buffer.str();
    if (bytes.empty())
        throw Error(path + ": the tokenizer file is empty");
    // tokenizer.json and vocab.json are JSON objects, vocab.txt is text; a SentencePiece model
    // is a binary protobuf.
    if (auto hf = tokenizer::loadHfTokenizerFile(path, bytes))
        return hf;
    return std::make_unique<SentencePieceTokenizer>(bytes, path);
}

} // namespace headbench
