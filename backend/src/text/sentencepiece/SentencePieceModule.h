#pragma once
// The C interface of the SentencePiece plugin (see SentencePieceModule.cpp for why it is one).
#include <cstddef>

extern "C" {

struct HbSpmInfo {
    int pieces, bos, eos, pad, unk;
};

/// A processor for a serialized model, or null with the reason in `err`.
void* hb_spm_load(const char* bytes, std::size_t size, char* err, std::size_t errLen);
void hb_spm_free(void* handle);
void hb_spm_info(void* handle, HbSpmInfo* info);
/// Encodes `text`; writes up to `capacity` ids and returns how many there are (-1 on error).
long hb_spm_encode(void* handle, const char* text, std::size_t size, int* out, long capacity, char* err, std::size_t errLen);
}
