// Any bytes as code to tokenize with the byte-level BPE and WordPiece fixture tokenizers:
// ids stay inside the vocabulary, the template's special tokens are in place, and the length
// limit (taken from the first byte) holds.
#include <headbench/core/Error.h>
#include <headbench/text/Tokenizer.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

namespace {
std::unique_ptr<headbench::Tokenizer> load(const std::string& path)
{
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return headbench::parseHfTokenizer(text.str(), path);
}

const std::unique_ptr<headbench::Tokenizer>& tokenizer(int which)
{
    static const auto bpe = load(HEADBENCH_TOKENIZER_FIXTURES "/bpe/tokenizer.json");
    static const auto wordpiece = load(HEADBENCH_TOKENIZER_FIXTURES "/wordpiece/tokenizer.json");
    return which ? wordpiece : bpe;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size == 0)
        return 0;
    const int maxLength = data[0] % 64; // 0: no limit
    const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
    for (int which : {0, 1}) {
        const auto& tok = tokenizer(which);
        const auto ids = tok->encode(text, maxLength);
        if (ids.size() < 2 || (maxLength >= 2 && ids.size() > static_cast<std::size_t>(maxLength)))
            __builtin_trap();
        for (std::int64_t id : ids)
            if (id < 0 || id >= tok->vocabSize())
                __builtin_trap();
        const auto full = tok->encode(text, 0);
        if (ids.front() != full.front() || ids.back() != full.back())
            __builtin_trap();
    }
    return 0;
}
