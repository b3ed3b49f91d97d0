// headbench-cli tokenize: what the model sees of one text (ids, tokens, where --max-length cuts).
#include "Commands.h"

#include "Dataset.h"
#include "Error.h"
#include "Tokenizer.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>
#include <optional>
#include <string>

namespace headbench::cli {
namespace {

using nlohmann::json;

struct TokenizeCliOptions {
    std::string tokenizer;
    int maxLength = 0; ///< 0: no truncation
    std::optional<std::string> text, dataset, row;
    FieldMap fields;
    bool json = false;
};

/// The text to tokenize: --text, or the row of --dataset whose id (or, when the data has no ids,
/// row number) is --row.
std::string textOf(const TokenizeCliOptions& o)
{
    if (o.text)
        return *o.text;
    const Dataset data = loadDataset(*o.dataset, o.fields);
    for (std::size_t i = 0; i < data.size(); ++i)
        if ((i < data.ids.size() && data.ids[i] == *o.row) || (data.ids.empty() && std::to_string(i) == *o.row))
            return data.texts[i];
    throw Error(*o.dataset + ": no row with id '" + *o.row + "' (field '" + o.fields.id + "')");
}

int runTokenize(const TokenizeCliOptions& o)
{
    if (o.text.has_value() == o.dataset.has_value())
        throw Error("tokenize: give either --text or --dataset with --row");
    if (o.dataset && !o.row)
        throw Error("tokenize: --dataset needs --row ID");
    if (o.maxLength < 0)
        throw Error(fmt::format("--max-length {}: expected 0 (no cut) or a positive token count", o.maxLength));
    const std::string text = textOf(o);
    const auto tokenizer = loadTokenizer(o.tokenizer);
    const auto ids = tokenizer->encode(text, o.maxLength);
    const auto total = static_cast<std::int64_t>(o.maxLength > 0 ? tokenizer->encode(text, 0).size() : ids.size());
    json tokens = json::array();
    for (const auto id : ids)
        tokens.push_back(tokenizer->tokenText(id));
    if (o.json) {
        std::cout << json{{"tokenizer", o.tokenizer},
                          {"kind", tokenizer->kind()},
                          {"max_length", o.maxLength > 0 ? json(o.maxLength) : json(nullptr)},
                          {"ids", ids},
                          {"tokens", tokens},
                          {"n_tokens", total},
                          {"truncated", static_cast<std::int64_t>(ids.size()) < total}}
                         .dump(2)
                  << "\n";
        return kOk;
    }
    fmt::print("{:>5}  {:>8}  token\n", "#", "id");
    for (std::size_t i = 0; i < ids.size(); ++i)
        fmt::print("{:>5}  {:>8}  {}\n", i, ids[i], json(tokens[i].get<std::string>()).dump());
    if (static_cast<std::int64_t>(ids.size()) < total)
        fmt::print("{} of {} tokens kept (special tokens included): cut at --max-length {}\n", ids.size(), total, o.maxLength);
    else
        fmt::print("{} tokens (special tokens included)\n", total);
    return kOk;
}

} // namespace

void registerTokenizeCommand(CLI::App& app, int& exitCode)
{
    auto o = std::make_shared<TokenizeCliOptions>();
    auto* c = app.add_subcommand("tokenize", "Show the tokens and ids a tokenizer gives one text, and where --max-length cuts it");
    c->add_option("--tokenizer", o->tokenizer, "tokenizer.json or SentencePiece tokenizer.model")->required();
    c->add_option("--max-length", o->maxLength, "Tokens kept, special tokens included (0: no cut)")->capture_default_str();
    c->add_option("--text", o->text, "The text to tokenize");
    c->add_option("--dataset", o->dataset, "JSONL or CSV dataset holding the text (with --row)");
    c->add_option("--row", o->row, "The id of the dataset's row (its row number when the data has no ids)");
    c->add_option("--text-field", o->fields.text, "Field holding the code")->capture_default_str();
    c->add_option("--label-field", o->fields.label, "Field holding the label")->capture_default_str();
    c->add_option("--id-field", o->fields.id, "Field holding the sample id")->capture_default_str();
    c->add_flag("--json", o->json, "Print {ids, tokens, n_tokens, truncated, ...} as JSON");
    c->callback([o, &exitCode] { exitCode = runTokenize(*o); });
}

} // namespace headbench::cli
