#include <headbench/core/HeadArchive.h>

#include <headbench/core/Error.h>

#include <fmt/format.h>
#include <zip.h>

#include <bit>
#include <cstring>
#include <limits>
#include <memory>

namespace headbench {
namespace {

static_assert(std::endian::native == std::endian::little, "head.pt storages are little-endian floats");

/// The pickle (protocol 2) that TorchScript's unpickler reads as a module's state: only the
/// opcodes a head needs. No memo: the unpickler does not require one.
class Pickle {
public:
    Pickle() { op(0x80), op(2); }
    const std::string& bytes() const { return m_out; }

    void stop() { op('.'); }
    void mark() { op('('); }
    void tuple() { op('t'); }
    void global(std::string_view module, std::string_view name) { op('c'), raw(module), op('\n'), raw(name), op('\n'); }
    void emptyTuple() { op(')'); }
    void emptyList() { op(']'); }
    void appends() { op('e'); }
    void emptyDict() { op('}'); }
    void setItems() { op('u'); }
    void newObj() { op(0x81); }
    void build() { op('b'); }
    void reduce() { op('R'); }
    void persistentId() { op('Q'); }
    void tuple2() { op(0x86); }
    void boolean(bool b) { op(b ? 0x88 : 0x89); }
    void none() { op('N'); }
    void text(std::string_view s)
    {
        if (s.size() > std::numeric_limits<std::uint32_t>::max())
            throw Error("head.pt: a name is too long");
        op('X'), le(static_cast<std::uint32_t>(s.size()), 4), raw(s);
    }
    void integer(std::int64_t v)
    {
        if (v >= 0 && v < 256)
            op('K'), le(static_cast<std::uint64_t>(v), 1);
        else if (v >= 0 && v < 65536)
            op('M'), le(static_cast<std::uint64_t>(v), 2);
        else if (v >= std::numeric_limits<std::int32_t>::min() && v <= std::numeric_limits<std::int32_t>::max())
            op('J'), le(static_cast<std::uint32_t>(static_cast<std::int32_t>(v)), 4);
        else
            op(0x8a), op(8), le(static_cast<std::uint64_t>(v), 8); // LONG1, two's complement
    }

private:
    void op(int c) { m_out.push_back(static_cast<char>(c)); }
    void raw(std::string_view s) { m_out.append(s); }
    void le(std::uint64_t v, int bytes)
    {
        for (int i = 0; i < bytes; ++i)
            op(static_cast<int>((v >> (8 * i)) & 0xff));
    }
    std::string m_out;
};

/// The module's state and its storages: each tensor is a float32 storage in data/<key>.
class ModuleState {
public:
    void tensor(std::string_view name, const std::vector<float>& values, std::vector<std::int64_t> shape)
    {
        std::int64_t count = 1;
        for (auto s : shape)
            count *= s;
        if (count != static_cast<std::int64_t>(values.size()))
            throw Error(fmt::format("head.pt: {} holds {} numbers where its shape needs {}", name, values.size(), count));
        const std::string key = std::to_string(m_storages.size());
        m_storages.emplace_back(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
        m_pickle.text(name);
        // torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)
        m_pickle.global("torch._utils", "_rebuild_tensor_v2");
        m_pickle.mark();
        m_pickle.mark();
        m_pickle.text("storage");
        m_pickle.global("torch", "FloatStorage");
        m_pickle.text(key);
        m_pickle.text("cpu");
        m_pickle.integer(count);
        m_pickle.tuple();
        m_pickle.persistentId();
        m_pickle.integer(0);
        m_pickle.mark();
        for (auto s : shape)
            m_pickle.integer(s);
        m_pickle.tuple();
        m_pickle.mark();
        std::int64_t stride = 1;
        std::vector<std::int64_t> strides(shape.size());
        for (std::size_t i = shape.size(); i-- > 0;) {
            strides[i] = stride;
            stride *= shape[i];
        }
        for (auto s : strides)
            m_pickle.integer(s);
        m_pickle.tuple();
        m_pickle.boolean(false);
        m_pickle.global("collections", "OrderedDict");
        m_pickle.emptyTuple();
        m_pickle.reduce();
        m_pickle.tuple();
        m_pickle.reduce();
    }
    void boolean(std::string_view name, bool value) { m_pickle.text(name), m_pickle.boolean(value); }
    void integer(std::string_view name, std::int64_t value) { m_pickle.text(name), m_pickle.integer(value); }
    void strings(std::string_view name, const std::vector<std::string>& values)
    {
        // A typed list, as TorchScript writes one: restore_type_tag(list, "List[str]").
        m_pickle.text(name);
        m_pickle.global("torch.jit._pickle", "restore_type_tag");
        m_pickle.emptyList();
        if (!values.empty()) {
            m_pickle.mark();
            for (const auto& v : values)
                m_pickle.text(v);
            m_pickle.appends();
        }
        m_pickle.text("List[str]");
        m_pickle.tuple2();
        m_pickle.reduce();
    }

    Pickle& pickle() { return m_pickle; }
    const std::vector<std::string_view>& storages() const { return m_storages; }

private:
    Pickle m_pickle;
    std::vector<std::string_view> m_storages;
};

void checkDense(const HeadWeights::Dense& d, std::int64_t in, std::string_view what)
{
    if (d.in != in || d.out <= 0)
        throw Error(fmt::format("head.pt: {} takes {} inputs to {} outputs where {} inputs come", what, d.in, d.out, in));
    if (static_cast<std::int64_t>(d.weight.size()) != d.in * d.out || static_cast<std::int64_t>(d.bias.size()) != d.out)
        throw Error(fmt::format("head.pt: {} holds {} weights and {} biases for {} x {}", what, d.weight.size(),
                                d.bias.size(), d.out, d.in));
}

/// Adds `data` under `name`, stored (no compression), with a fixed date: the same head gives
/// the same bytes.
void addEntry(zip_t* zip, const std::string& name, std::string_view data)
{
    zip_source_t* source = zip_source_buffer(zip, data.data(), data.size(), 0);
    if (!source)
        throw Error("head.pt: " + std::string(zip_strerror(zip)));
    const zip_int64_t index = zip_file_add(zip, name.c_str(), source, ZIP_FL_ENC_UTF_8);
    if (index < 0) {
        zip_source_free(source);
        throw Error("head.pt: " + std::string(zip_strerror(zip)));
    }
    if (zip_set_file_compression(zip, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0) != 0 ||
        zip_file_set_mtime(zip, static_cast<zip_uint64_t>(index), 315532800 + 86400, 0) != 0) // 2 Jan 1980
        throw Error("head.pt: " + std::string(zip_strerror(zip)));
}

std::string zipOf(const std::vector<std::pair<std::string, std::string_view>>& entries)
{
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* buffer = zip_source_buffer_create(nullptr, 0, 0, &error);
    if (!buffer)
        throw Error("head.pt: " + std::string(zip_error_strerror(&error)));
    std::unique_ptr<zip_source_t, decltype(&zip_source_free)> owned(buffer, &zip_source_free);
    zip_t* zip = zip_open_from_source(buffer, ZIP_TRUNCATE, &error);
    if (!zip)
        throw Error("head.pt: " + std::string(zip_error_strerror(&error)));
    zip_source_keep(buffer); // the archive's bytes are read from it after zip_close
    try {
        for (const auto& [name, data] : entries)
            addEntry(zip, name, data);
    } catch (...) {
        zip_discard(zip);
        throw;
    }
    if (zip_close(zip) != 0) {
        const std::string why = zip_strerror(zip);
        zip_discard(zip);
        throw Error("head.pt: " + why);
    }
    zip_stat_t stat;
    if (zip_source_stat(buffer, &stat) != 0 || !(stat.valid & ZIP_STAT_SIZE) || zip_source_open(buffer) != 0)
        throw Error("head.pt: the archive could not be read back from memory");
    std::string out(static_cast<std::size_t>(stat.size), '\0');
    const zip_int64_t read = zip_source_read(buffer, out.data(), stat.size);
    zip_source_close(buffer);
    if (read != static_cast<zip_int64_t>(stat.size))
        throw Error("head.pt: the archive could not be read back from memory");
    return out;
}

} // namespace

std::string headArchive(const HeadWeights& head)
{
    static const char* const activations[] = {"relu", "gelu", "tanh", "silu", "leaky_relu"};
    bool knownActivation = head.hidden.empty();
    for (const char* a : activations)
        knownActivation = knownActivation || head.activation == a;
    if (!knownActivation)
        throw Error("head.pt: unknown activation " + head.activation);
    if (head.norm != HeadWeights::Norm::None && head.norms.size() != head.hidden.size())
        throw Error("head.pt: one normalisation per hidden layer is needed");
    const std::int64_t outputs = head.numClasses == 2 && head.output.out == 1 ? 1 : head.numClasses;
    if (head.output.out != outputs || head.numClasses < 2)
        throw Error(fmt::format("head.pt: {} outputs for {} classes", head.output.out, head.numClasses));
    if (!head.labelNames.empty() && static_cast<int>(head.labelNames.size()) != head.numClasses)
        throw Error(fmt::format("head.pt: {} label names for {} classes", head.labelNames.size(), head.numClasses));

    ModuleState state;
    state.pickle().global("__torch__", "HeadBenchHead");
    state.pickle().emptyTuple();
    state.pickle().newObj();
    state.pickle().emptyDict();
    state.pickle().mark();

    std::vector<std::string> parameters, buffers, declarations;
    std::string body = "  def forward(self: __torch__.HeadBenchHead,\n    x: Tensor) -> Tensor:\n";
    auto addTensor = [&](const std::string& name, const std::vector<float>& values, std::vector<std::int64_t> shape,
                         bool buffer) {
        state.tensor(name, values, std::move(shape));
        (buffer ? buffers : parameters).push_back(name);
    };
    std::int64_t in = head.inputDim;
    for (std::size_t i = 0; i < head.hidden.size(); ++i) {
        const auto& d = head.hidden[i];
        checkDense(d, in, fmt::format("hidden layer {}", i + 1));
        addTensor(fmt::format("w{}", i), d.weight, {d.out, d.in}, false);
        addTensor(fmt::format("b{}", i), d.bias, {d.out}, false);
        body += fmt::format("    x = torch.linear(x, self.w{0}, self.b{0})\n", i);
        if (head.norm != HeadWeights::Norm::None) {
            const auto& n = head.norms[i];
            if (static_cast<std::int64_t>(n.weight.size()) != d.out || static_cast<std::int64_t>(n.bias.size()) != d.out)
                throw Error(fmt::format("head.pt: the normalisation of hidden layer {} has the wrong size", i + 1));
            // fmt's shortest form of a double always reads back as a float literal ("1e-05").
            const std::string eps = fmt::format("{}", n.eps).find_first_of(".e") == std::string::npos
                                        ? fmt::format("{}.0", n.eps)
                                        : fmt::format("{}", n.eps);
            if (head.norm == HeadWeights::Norm::Layer) {
                addTensor(fmt::format("ln_w{}", i), n.weight, {d.out}, false);
                addTensor(fmt::format("ln_b{}", i), n.bias, {d.out}, false);
                body += fmt::format("    x = torch.layer_norm(x, [{1}], self.ln_w{0}, self.ln_b{0}, {2}, False)\n", i,
                                    d.out, eps);
            } else {
                if (static_cast<std::int64_t>(n.runningMean.size()) != d.out ||
                    static_cast<std::int64_t>(n.runningVar.size()) != d.out)
                    throw Error(fmt::format("head.pt: the batch norm of hidden layer {} has the wrong size", i + 1));
                addTensor(fmt::format("bn_w{}", i), n.weight, {d.out}, false);
                addTensor(fmt::format("bn_b{}", i), n.bias, {d.out}, false);
                addTensor(fmt::format("bn_mean{}", i), n.runningMean, {d.out}, true);
                addTensor(fmt::format("bn_var{}", i), n.runningVar, {d.out}, true);
                body += fmt::format("    x = torch.batch_norm(x, self.bn_w{0}, self.bn_b{0}, self.bn_mean{0}, "
                                    "self.bn_var{0}, False, 0.1, {1}, False)\n",
                                    i, eps);
            }
        }
        body += head.activation == "leaky_relu" ? std::string("    x = torch.leaky_relu(x, 0.01)\n")
                                                : fmt::format("    x = torch.{}(x)\n", head.activation);
        in = d.out;
    }
    checkDense(head.output, in, "the output layer");
    addTensor("w_out", head.output.weight, {head.output.out, head.output.in}, false);
    addTensor("b_out", head.output.bias, {head.output.out}, false);
    body += "    x = torch.linear(x, self.w_out, self.b_out)\n";
    std::vector<float> temperature{static_cast<float>(head.temperature)};
    if (head.temperature != 1.0) { // train --calibrate temperature
        if (!(head.temperature > 0))
            throw Error("head.pt: the temperature must be positive");
        addTensor("temperature", temperature, {1}, true);
        body += "    x = x / self.temperature\n";
    }
    if (head.output.out == 1)
        body += "    p1 = torch.sigmoid(x)\n    return torch.cat([1.0 - p1, p1], 1)\n";
    else
        body += "    return torch.softmax(x, 1)\n";

    state.boolean("training", false);
    state.integer("input_dim", head.inputDim);
    state.integer("num_classes", head.numClasses);
    std::vector<std::string> names = head.labelNames;
    if (names.empty())
        for (int k = 0; k < head.numClasses; ++k)
            names.push_back(std::to_string(k));
    state.strings("label_names", names);
    state.pickle().setItems();
    state.pickle().build();
    state.pickle().stop();

    // The class as TorchScript's importer reads it: attributes declared with their types.
    std::string code = "class HeadBenchHead(Module):\n  __parameters__ = [";
    for (const auto& p : parameters)
        code += "\"" + p + "\", ";
    code += "]\n  __buffers__ = [";
    for (const auto& b : buffers)
        code += "\"" + b + "\", ";
    code += "]\n";
    for (const auto& p : parameters)
        code += "  " + p + " : Tensor\n";
    for (const auto& b : buffers)
        code += "  " + b + " : Tensor\n";
    code += "  training : bool\n  input_dim : int\n  num_classes : int\n  label_names : List[str]\n";
    code += body;

    Pickle constants;
    constants.emptyTuple();
    constants.stop();

    // Version 4: the first whose division is true division (no upgrader applied to torch.div).
    const std::string version = "4\n";
    std::vector<std::pair<std::string, std::string_view>> entries;
    for (std::size_t k = 0; k < state.storages().size(); ++k)
        entries.emplace_back("archive/data/" + std::to_string(k), state.storages()[k]);
    entries.emplace_back("archive/data.pkl", state.pickle().bytes());
    entries.emplace_back("archive/code/__torch__.py", code);
    entries.emplace_back("archive/constants.pkl", constants.bytes());
    entries.emplace_back("archive/version", version);
    return zipOf(entries);
}

} // namespace headbench
