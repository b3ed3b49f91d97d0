// A plugin holding libsentencepiece, loaded with dlopen(RTLD_LOCAL | RTLD_DEEPBIND).
//
// Why: Debian's libsentencepiece carries its own copy of protobuf-lite and exports it, while
// LibTorch links the system libprotobuf. Linked into one process the two copies bind to each
// other's symbols and the process crashes in protobuf's static initialisation before main().
// Loaded on its own scope, sentencepiece keeps to its copy. Only C types cross this boundary.
#include "text/sentencepiece/SentencePieceModule.h"

#include <sentencepiece_processor.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

namespace {
void setError(char* err, std::size_t errLen, const std::string& message)
{
    if (err && errLen) {
        const std::size_t n = std::min(errLen - 1, message.size());
        std::memcpy(err, message.data(), n);
        err[n] = '\0';
    }
}
} // namespace

extern "C" {

void* hb_spm_load(const char* bytes, std::size_t size, char* err, std::size_t errLen)
{
    auto* sp = new sentencepiece::SentencePieceProcessor;
    const auto status = sp->LoadFromSerializedProto(std::string_view(bytes, size));
    if (!status.ok()) {
        setError(err, errLen, status.ToString());
        delete sp;
        return nullptr;
    }
    return sp;
}

void hb_spm_free(void* handle)
{
    delete static_cast<sentencepiece::SentencePieceProcessor*>(handle);
}

void hb_spm_info(void* handle, HbSpmInfo* info)
{
    const auto* sp = static_cast<const sentencepiece::SentencePieceProcessor*>(handle);
    info->pieces = sp->GetPieceSize();
    info->bos = sp->bos_id();
    info->eos = sp->eos_id();
    info->pad = sp->pad_id();
    info->unk = sp->unk_id();
}

long hb_spm_encode(void* handle, const char* text, std::size_t size, int* out, long capacity, char* err, std::size_t errLen)
{
    const auto* sp = static_cast<const sentencepiece::SentencePieceProcessor*>(handle);
    std::vector<int> ids;
    const auto status = sp->Encode(std::string_view(text, size), &ids);
    if (!status.ok()) {
        setError(err, errLen, status.ToString());
        return -1;
    }
    const long n = static_cast<long>(ids.size());
    std::copy_n(ids.begin(), std::min(n, capacity), out);
    return n;
}

} // extern "C"
