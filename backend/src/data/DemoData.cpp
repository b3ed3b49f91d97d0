#include <headbench/data/DemoData.h>

#include <fmt/format.h>

#include <array>
#include <random>

namespace headbench {
namespace {

constexpr std::array kFamilies = {WeaknessFamily::BufferCopy,   WeaknessFamily::OffByOne,
                                  WeaknessFamily::FormatString, WeaknessFamily::UseAfterFree,
                                  WeaknessFamily::IntegerOverflow, WeaknessFamily::NullCheck};

/// Deterministic draws. std::uniform_int_distribution is not specified across standard
/// libraries, so draws are made from the raw engine output.
class Dice {
public:
    explicit Dice(std::uint64_t seed) : m_rng(seed) {}
    std::size_t below(std::size_t n) { return static_cast<std::size_t>(m_rng() % n); }
    bool chance(double p) { return static_cast<double>(m_rng() >> 11) * (1.0 / 9007199254740992.0) < p; }
    template <typename C> const auto& pick(const C& c) { return c[below(std::size(c))]; }

private:
    std::mt19937_64 m_rng;
};

/// A line of a function body at a nesting depth; formatting is applied when rendering.
struct Line {
    int depth;
    std::string text;
};

/// Names and style drawn once per function.
struct Style {
    std::string fn, buf, src, len, ptr, ctx, idx, count;
    int bufSize = 64;
    std::string indent = "    ";
    bool allman = false;
    bool spaceAfterKeyword = true;
};

constexpr const char* kModules[] = {"", "net_", "http_", "cfg_", "db_", "img_", "usb_", "xml_", "fs_", "rpc_"};
constexpr const char* kVerbs[] = {"parse", "read", "load", "copy", "handle", "process", "decode",
                                  "build", "store", "append", "update", "fill", "scan", "import"};
constexpr const char* kNouns[] = {"header", "packet", "name", "path", "record", "message", "token", "config",
                                  "entry", "frame", "field", "request", "user", "chunk", "label", "option"};
constexpr const char* kBufs[] = {"buf", "dst", "out", "tmp", "name", "local", "line", "scratch", "host", "field"};
constexpr const char* kSrcs[] = {"src", "input", "data", "payload", "arg", "value", "str", "raw", "text"};
constexpr const char* kLens[] = {"len", "n", "size", "nbytes", "length", "count_in", "sz"};
constexpr const char* kPtrs[] = {"p", "item", "node", "entry", "obj", "rec", "conn", "sess"};
constexpr const char* kCtxs[] = {"ctx", "state", "dev", "srv", "self", "env"};
constexpr const char* kIdx[] = {"i", "j", "k", "idx", "pos"};
constexpr const char* kCounts[] = {"count", "n_items", "num", "total", "nelem", "limit"};
constexpr int kSizes[] = {16, 32, 64, 128, 256, 512};

Style drawStyle(Dice& d)
{
    Style s;
    s.fn = std::string(d.pick(kModules)) + d.pick(kVerbs) + "_" + d.pick(kNouns);
    s.buf = d.pick(kBufs);
    s.src = d.pick(kSrcs);
    s.len = d.pick(kLens);
    s.ptr = d.pick(kPtrs);
    s.ctx = d.pick(kCtxs);
    s.idx = d.pick(kIdx);
    s.count = d.pick(kCounts);
    s.bufSize = d.pick(kSizes);
    s.indent = d.pick(std::array<const char*, 3>{"    ", "  ", "\t"});
    s.allman = d.chance(0.4);
    s.spaceAfterKeyword = d.chance(0.8);
    return s;
}

/// Code unrelated to the weakness: logging, statistics, locking, checksums. Some of it looks
/// like the weaknesses' fixes or triggers (NULL checks, "%s" formats, <= loops without
/// indexing), so that no single token decides the label.
void addNoise(Dice& d, const Style& s, std::vector<Line>& body, int depth)
{
    const int n = static_cast<int>(d.below(4));
    for (int i = 0; i < n; ++i) {
        switch (d.below(12)) {
        case 0: body.push_back({depth, s.ctx + "->stats.calls++;"}); break;
        case 1: body.push_back({depth, fmt::format("log_debug(\"{}: start\");", s.fn)}); break;
        case 2:
            body.push_back({depth, fmt::format("if ({} == NULL)", s.ctx)});
            body.push_back({depth + 1, "return -EINVAL;"});
            break;
        case 3:
            body.push_back({depth, "unsigned int crc = 0;"});
            body.push_back({depth, fmt::format("for (int q = 0; q < {}->nblocks; q++)", s.ctx)});
            body.push_back({depth + 1, fmt::format("crc = (crc << 5) ^ {}->blocks[q];", s.ctx)});
            break;
        case 4: body.push_back({depth, fmt::format("pthread_mutex_lock(&{}->lock);", s.ctx)}); break;
        case 5: body.push_back({depth, fmt::format("printf(\"%s: %d\\n\", \"{}\", {}->depth);", s.fn, s.ctx)}); break;
        case 6:
            body.push_back({depth, "int sum = 0;"});
            body.push_back({depth, fmt::format("for (int t = 1; t <= {}->retries; t++)", s.ctx)});
            body.push_back({depth + 1, "sum += t;"});
            break;
        case 7: body.push_back({depth, fmt::format("{}->last_error = 0;", s.ctx)}); break;
        case 8: body.push_back({depth, "/* keep the fast path small */"}); break;
        case 9: body.push_back({depth, fmt::format("if ({}->flags & FLAG_VERBOSE)", s.ctx)});
                body.push_back({depth + 1, fmt::format("fprintf(stderr, \"%s\\n\", \"{}\");", s.fn)});
                break;
        case 10: body.push_back({depth, fmt::format("memset(&{}->hdr, 0, sizeof({}->hdr));", s.ctx, s.ctx)}); break;
        default: body.push_back({depth, fmt::format("update_timestamp({});", s.ctx)}); break;
        }
    }
}

/// The core of each family, vulnerable or fixed. Several shapes per family.
void addCore(Dice& d, const Style& s, WeaknessFamily family, bool vulnerable, std::vector<Line>& b)
{
    const int size = s.bufSize;
    switch (family) {
    case WeaknessFamily::BufferCopy: {
        b.push_back({1, fmt::format("char {}[{}];", s.buf, size)});
        const std::size_t shape = d.below(3);
        if (shape == 0) {
            if (vulnerable) {
                b.push_back({1, fmt::format("strcpy({}, {});", s.buf, s.src)});
            } else if (d.chance(0.5)) {
                b.push_back({1, fmt::format("if (strlen({}) >= sizeof({}))", s.src, s.buf)});
                b.push_back({2, "return -1;"});
                b.push_back({1, fmt::format("strcpy({}, {});", s.buf, s.src)});
            } else {
                b.push_back({1, fmt::format("snprintf({}, sizeof({}), \"%s\", {});", s.buf, s.buf, s.src)});
            }
        } else if (shape == 1) {
            b.push_back({1, fmt::format("size_t {} = {}->{}_len;", s.len, s.ctx, s.src)});
            if (!vulnerable)
                b.push_back({1, fmt::format("if ({} > sizeof({}))", s.len, s.buf)}),
                    b.push_back({2, fmt::format("{} = sizeof({});", s.len, s.buf)});
            else if (d.chance(0.5)) // a check that does not protect the buffer
                b.push_back({1, fmt::format("if ({} > MAX_PACKET)", s.len)}), b.push_back({2, "return -1;"});
            b.push_back({1, fmt::format("memcpy({}, {}, {});", s.buf, s.src, s.len)});
        } else {
            if (vulnerable)
                b.push_back({1, fmt::format("strcat({}, {});", s.buf, s.src)});
            else
                b.push_back({1, fmt::format("strncat({}, {}, sizeof({}) - strlen({}) - 1);", s.buf, s.src, s.buf, s.buf)});
        }
        b.push_back({1, fmt::format("consume({}, {});", s.ctx, s.buf)});
        break;
    }
    case WeaknessFamily::OffByOne: {
        b.push_back({1, fmt::format("int {}[{}];", s.buf, size)});
        const std::string bound = d.chance(0.5) ? std::to_string(size) : s.count;
        if (bound == s.count)
            b.push_back({1, fmt::format("int {} = {};", s.count, size)});
        if (d.chance(0.6)) {
            b.push_back({1, fmt::format("for (int {0} = 0; {0} {1} {2}; {0}++)", s.idx, vulnerable ? "<=" : "<", bound)});
            b.push_back({2, fmt::format("{}[{}] = {}->{}[{}];", s.buf, s.idx, s.ctx, s.src, s.idx)});
        } else {
            b.push_back({1, fmt::format("size_t {} = read_chunk({}, {}, sizeof({}));", s.len, s.ctx, s.buf, s.buf)});
            b.push_back({1, fmt::format("{}[{}] = 0;", s.buf, vulnerable ? s.len : s.len + " - 1")});
        }
        b.push_back({1, fmt::format("emit({}, {});", s.ctx, s.buf)});
        break;
    }
    case WeaknessFamily::FormatString: {
        const std::size_t shape = d.below(3);
        if (shape == 0)
            b.push_back({1, vulnerable ? fmt::format("printf({});", s.src) : fmt::format("printf(\"%s\", {});", s.src)});
        else if (shape == 1)
            b.push_back({1, vulnerable ? fmt::format("fprintf(stderr, {}->{});", s.ctx, s.src)
                                       : fmt::format("fprintf(stderr, \"%s\", {}->{});", s.ctx, s.src)});
        else
            b.push_back({1, vulnerable ? fmt::format("syslog(LOG_ERR, {});", s.src)
                                       : fmt::format("syslog(LOG_ERR, \"%s\", {});", s.src)});
        break;
    }
    case WeaknessFamily::UseAfterFree: {
        b.push_back({1, fmt::format("struct {}_t *{} = lookup({}, id);", s.ptr, s.ptr, s.ctx)});
        if (vulnerable) {
            b.push_back({1, fmt::format("free({});", s.ptr)});
            b.push_back({1, fmt::format("{}->{} = {}->{};", s.ctx, "last_id", s.ptr, "id")});
        } else {
            b.push_back({1, fmt::format("{}->{} = {}->{};", s.ctx, "last_id", s.ptr, "id")});
            b.push_back({1, fmt::format("free({});", s.ptr)});
            if (d.chance(0.7))
                b.push_back({1, fmt::format("{} = NULL;", s.ptr)});
        }
        break;
    }
    case WeaknessFamily::IntegerOverflow: {
        b.push_back({1, fmt::format("size_t {} = {}->{};", s.count, s.ctx, s.count)});
        if (!vulnerable) {
            b.push_back({1, fmt::format("if ({} > SIZE_MAX / sizeof(struct {}_t))", s.count, s.ptr)});
            b.push_back({2, "return NULL;"});
        }
        b.push_back({1, fmt::format("struct {0}_t *{0} = malloc({1} * sizeof(struct {0}_t));", s.ptr, s.count)});
        b.push_back({1, fmt::format("if ({} == NULL)", s.ptr)});
        b.push_back({2, "return NULL;"});
        b.push_back({1, fmt::format("for (size_t {0} = 0; {0} < {1}; {0}++)", s.idx, s.count)});
        b.push_back({2, fmt::format("{}[{}].id = {};", s.ptr, s.idx, s.idx)});
        break;
    }
    case WeaknessFamily::NullCheck: {
        if (d.chance(0.5))
            b.push_back({1, fmt::format("char *{} = malloc({}->{} + 1);", s.buf, s.ctx, s.len)});
        else
            b.push_back({1, fmt::format("char *{} = getenv(\"{}\");", s.buf, "APP_HOME")});
        if (!vulnerable) {
            b.push_back({1, fmt::format("if ({} == NULL)", s.buf)});
            b.push_back({2, "return -ENOMEM;"});
        }
        b.push_back({1, fmt::format("{}[0] = '\\0';", s.buf)});
        b.push_back({1, fmt::format("append_path({}, {});", s.buf, s.src)});
        break;
    }
    }
}

std::string render(const Style& s, const std::string& signature, const std::vector<Line>& body)
{
    std::string out = signature + (s.allman ? "\n{\n" : " {\n");
    for (std::size_t i = 0; i < body.size(); ++i) {
        std::string text = body[i].text;
        if (!s.spaceAfterKeyword)
            for (const char* kw : {"if (", "for (", "while ("}) {
                const std::string k(kw);
                if (text.rfind(k, 0) == 0)
                    text = k.substr(0, k.size() - 2) + "(" + text.substr(k.size());
            }
        std::string indent;
        for (int k = 0; k < body[i].depth; ++k)
            indent += s.indent;
        out += indent + text + "\n";
    }
    return out + "}\n";
}

} // namespace

const char* weaknessFamilyName(WeaknessFamily family)
{
    switch (family) {
    case WeaknessFamily::BufferCopy: return "buffer-copy";
    case WeaknessFamily::OffByOne: return "off-by-one";
    case WeaknessFamily::FormatString: return "format-string";
    case WeaknessFamily::UseAfterFree: return "use-after-free";
    case WeaknessFamily::IntegerOverflow: return "integer-overflow";
    case WeaknessFamily::NullCheck: return "null-check";
    }
    return "unknown";
}

Dataset generateDemoDataset(std::size_t n, std::uint64_t seed, bool paired)
{
    Dataset data;
    data.source = "built-in demo";
    data.labelNames = {"safe", "vulnerable"};
    Dice dice(seed);
    const std::size_t functions = paired ? (n + 1) / 2 : n;
    for (std::size_t i = 0; i < functions; ++i) {
        const WeaknessFamily family = kFamilies[i % kFamilies.size()];
        const bool vulnerable = dice.chance(0.45);
        const Style s = drawStyle(dice);
        std::vector<Line> head, tail;
        addNoise(dice, s, head, 1);
        // A pair is one function before and after its fix: the same shape of core (the same
        // draws), the same noise around it, the weakness present in one and fixed in the other.
        std::vector<std::vector<Line>> cores(paired ? 2 : 1);
        const Dice coreStart = dice;
        for (std::size_t v = 0; v < cores.size(); ++v) {
            dice = coreStart;
            addCore(dice, s, family, paired ? v == 0 : vulnerable, cores[v]);
        }
        addNoise(dice, s, tail, 1);
        if (dice.chance(0.3))
            tail.push_back({1, fmt::format("pthread_mutex_unlock(&{}->lock);", s.ctx)});
        const bool returnsPointer = family == WeaknessFamily::IntegerOverflow;
        tail.push_back({1, returnsPointer ? "return " + s.ptr + ";" : "return 0;"});
        const std::string signature =
            returnsPointer ? fmt::format("struct {0}_t *{1}(struct {2} *{3})", s.ptr, s.fn, s.ctx + "_ctx", s.ctx)
                           : fmt::format("{}int {}(struct {}_ctx *{}, const char *{})", dice.chance(0.5) ? "static " : "",
                                         s.fn, s.ctx, s.ctx, s.src);
        std::string comment;
        if (dice.chance(0.25))
            comment = fmt::format("/* {}: called from the {} dispatcher */\n", s.fn, weaknessFamilyName(family));
        // Real vulnerability datasets carry label noise (a "fix" that did not fix, a commit
        // mislabelled); about 6% of the demo labels are flipped on purpose. Pairs keep their
        // labels: before the fix is vulnerable, after it safe, as in fix-commit datasets.
        const bool flip = !paired && dice.chance(0.06);
        for (std::size_t v = 0; v < cores.size(); ++v) {
            if (paired && data.texts.size() == n)
                break; // an odd n ends with half a pair
            std::vector<Line> body = head;
            body.insert(body.end(), cores[v].begin(), cores[v].end());
            body.insert(body.end(), tail.begin(), tail.end());
            const bool isVulnerable = paired ? v == 0 : vulnerable;
            data.texts.push_back(comment + render(s, signature, body));
            data.labels.push_back((flip ? !isVulnerable : isVulnerable) ? 1 : 0);
            if (paired) {
                data.ids.push_back(fmt::format("{}-{:05d}-{}", weaknessFamilyName(family), i, v == 0 ? "before" : "after"));
                data.groups.push_back(fmt::format("pair-{:05d}", i));
            } else {
                data.ids.push_back(fmt::format("{}-{:05d}", weaknessFamilyName(family), i));
            }
        }
    }
    return data;
}

} // namespace headbench
