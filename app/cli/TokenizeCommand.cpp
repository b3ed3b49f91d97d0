// headbench-cli tokenize: what the model sees of one text (ids, tokens, where --max-length cuts).
#include "Commands.h"

#include <headbench/core/Error.h>
#include <headbench/core/Plural.h>
#include <headbench/data/Dataset.h>
#include <headbench/text/Tokenizer.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

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

/// One text's encoding: ids (cut at maxLength, 0: no cut) and the count before the cut.
struct Encoded {
    std::vector<std::int64_t> ids;
    std::int64_t total = 0;
};

Encoded encodeOne(const Tokenizer& tokenizer, const std::string& text, int maxLength)
{
    Encoded e;
    e.ids = tokenizer.encode(text, maxLength);
    e.total = static_cast<std::int64_t>(maxLength > 0 ? tokenizer.encode(text, 0).size() : e.ids.size());
    return e;
}

json encodedJson(const Tokenizer& tokenizer, const Encoded& e)
{
    json tokens = json::array();
    for (const auto id : e.ids)
        tokens.push_back(tokenizer.tokenText(id));
    return {{"ids", e.ids}, {"tokens", tokens}, {"n_tokens", e.total},
            {"truncated", static_cast<std::int64_t>(e.ids.size()) < e.total}};
}

/// Every row of --dataset: one JSON object per row, or a table of counts with the rows the cut
/// shortened.
int tokenizeDataset(const TokenizeCliOptions& o, const Tokenizer& tokenizer)
{
    const Dataset data = loadDataset(*o.dataset, o.fields);
    json rows = json::array();
    std::size_t truncated = 0;
    if (!o.json)
        fmt::print("{:<24} {:>8} {:>8}\n", "id", "tokens", "kept");
    for (std::size_t i = 0; i < data.size(); ++i) {
        const std::string id = i < data.ids.size() ? data.ids[i] : std::to_string(i);
        const Encoded e = encodeOne(tokenizer, data.texts[i], o.maxLength);
        const bool cut = static_cast<std::int64_t>(e.ids.size()) < e.total;
        truncated += cut;
        if (o.json) {
            json row = encodedJson(tokenizer, e);
            row["id"] = id;
            rows.push_back(std::move(row));
        } else {
            fmt::print("{:<24} {:>8} {:>8}{}\n", id.substr(0, 24), e.total, e.ids.size(), cut ? "  cut" : "");
        }
    }
    if (o.json) {
        std::cout << json{{"tokenizer", o.tokenizer}, {"kind", tokenizer.kind()},
                          {"max_length", o.maxLength > 0 ? json(o.maxLength) : json(nullptr)},
                          {"rows", rows}, {"truncated_rows", truncated}}
                         .dump(2)
                  << "\n";
    } else {
        fmt::print("{} of {} {} cut at --max-length {}\n", truncated, data.size(), data.size() == 1 ? "row" : "rows",
                   o.maxLength);
    }
    return kOk;
}

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
        throw Error("tokenize: give either --text or --dataset (all rows, or one with --row)");
    if (o.maxLength < 0)
        throw Error(fmt::format("--max-length {}: expected 0 (no cut) or a positive token count", o.maxLength));
    if (o.dataset && !o.row) {
        const auto tokenizer = loadTokenizer(o.tokenizer);
        return tokenizeDataset(o, *tokenizer);
    }
    const std::string text = textOf(o);
    const auto tokenizer = loadTokenizer(o.tokenizer);
    const Encoded e = encodeOne(*tokenizer, text, o.maxLength);
    json out = encodedJson(*tokenizer, e);
    if (o.json) {
        out["tokenizer"] = o.tokenizer;
        out["kind"] = tokenizer->kind();
        out["max_length"] = o.maxLength > 0 ? json(o.maxLength) : json(nullptr);
        std::cout << out.dump(2) << "\n";
        return kOk;
    }
    fmt::print("{:>5}  {:>8}  token\n", "#", "id");
    for (std::size_t i = 0; i < e.ids.size(); ++i)
        fmt::print("{:>5}  {:>8}  {}\n", i, e.ids[i], json(out["tokens"][i].get<std::string>()).dump());
    if (static_cast<std::int64_t>(e.ids.size()) < e.total)
        fmt::print("{} of {} tokens kept (special tokens included): cut at --max-length {}\n", e.ids.size(), e.total, o.maxLength);
    else
        fmt::print("{} (special tokens included)\n", plural(e.total, "token"));
    return kOk;
}

} // namespace

void registerTokenizeCommand(CLI::App& app, int& exitCode)
{
    auto o = std::make_shared<TokenizeCliOptions>();
    auto* c = app.add_subcommand("tokenize", "Show the tokens and ids a tokenizer gives a text or a dataset's rows, and where --max-length cuts them");
    c->add_option("--tokenizer", o->tokenizer, "tokenizer.json, SentencePiece tokenizer.model, vocab.json (merges.txt beside it) or vocab.txt")->required();
    c->add_option("--max-length", o->maxLength, "Tokens kept, special tokens included (0: no cut)")->capture_default_str();
    c->add_option("--text", o->text, "The text to tokenize");
    c->add_option("--dataset", o->dataset, "JSONL or CSV dataset: every row, or the one named by --row");
    c->add_option("--row", o->row, "The id of the dataset's row (its row number when the data has no ids)");
    c->add_option("--text-field", o->fields.text, "Field holding the code")->capture_default_str();
    c->add_option("--label-field", o->fields.label, "Field holding the label")->capture_default_str();
    c->add_option("--id-field", o->fields.id, "Field holding the sample id")->capture_default_str();
    c->add_flag("--json", o->json, "Print {ids, tokens, n_tokens, truncated, ...} as JSON");
    c->callback([o, &exitCode] { exitCode = runTokenize(*o); });
}

} // namespace headbench::cli
