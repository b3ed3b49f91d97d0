#include <headbench/core/Error.h>
#include <headbench/train/HeadSpec.h>
#include <headbench/runs/Sweep.h>

#include <gtest/gtest.h>

using namespace headbench;

namespace {
std::string errorOf(const std::string& json)
{
    try {
        headSpecFromJson(json, "head.json");
    } catch (const Error& e) {
        return e.what();
    }
    return {};
}
} // namespace

TEST(HeadSpec, JsonRoundTripKeepsEveryField)
{
    HeadSpec s;
    s.hidden = {512, 128};
    s.activation = Activation::Gelu;
    s.dropout = 0.3;
    s.norm = Norm::LayerNorm;
    s.loss = Loss::Focal;
    s.focalGamma = 1.5;
    s.classWeights = {1.0, 3.0};
    s.labelSmoothing = 0.1;
    s.optimizer = Optimizer::Sgd;
    s.learningRate = 0.05;
    s.weightDecay = 0.001;
    s.momentum = 0.8;
    s.schedule = Schedule::Step;
    s.stepSize = 3;
    s.stepGamma = 0.2;
    s.batchSize = 64;
    s.epochs = 7;
    s.earlyStopping = StopMetric::ValF1;
    s.patience = 2;
    s.seed = 99;
    const HeadSpec back = headSpecFromJson(toJson(s));
    EXPECT_EQ(toJson(back), toJson(s));
    EXPECT_EQ(back.hidden, s.hidden);
    EXPECT_EQ(back.loss, Loss::Focal);
    EXPECT_EQ(back.classWeights, s.classWeights);
    EXPECT_EQ(back.seed, 99u);
}

TEST(HeadSpec, EmptyObjectGivesDefaultsAndDepthWidthShorthandWorks)
{
    EXPECT_EQ(toJson(headSpecFromJson("{}")), toJson(HeadSpec{}));
    const auto s = headSpecFromJson(R"({"depth": 3, "width": 64, "loss": "cross_entropy", "class_weights": "auto"})");
    EXPECT_EQ(s.hidden, (std::vector<int>{64, 64, 64}));
    EXPECT_EQ(s.loss, Loss::CrossEntropy);
    EXPECT_TRUE(s.autoClassWeights);
    EXPECT_EQ(headSpecFromJson(R"({"depth": 0})").depth(), 0);
}

TEST(HeadSpec, RejectsUnknownFieldsWrongTypesAndImpossibleValues)
{
    EXPECT_EQ(errorOf(R"({"hiden": [1]})"), "head.json: unknown field 'hiden'");
    EXPECT_EQ(errorOf(R"({"dropout": 1.5})"), "head.json: dropout 1.5 must be at least 0 and below 1");
    EXPECT_EQ(errorOf(R"({"hidden": [128, -4]})"), "head.json: hidden layer 2 has width -4; widths must be 1 to 65536");
    EXPECT_EQ(errorOf(R"({"epochs": 0})"), "head.json: epochs 0 must be 1 to 100000");
    EXPECT_EQ(errorOf(R"({"epochs": "ten"})"), "head.json: field 'epochs' has the wrong type (\"ten\")");
    EXPECT_EQ(errorOf(R"({"activation": "softplus"})"),
              "head.json: unknown activation 'softplus' (accepted: relu, gelu, tanh, silu, leaky_relu)");
    EXPECT_EQ(errorOf(R"({"lr": -1})"), "head.json: learning rate -1 must be above 0 and at most 10");
    EXPECT_EQ(errorOf(R"({"depth": 3, "hidden": [5, 6]})"), "head.json: 'depth' 3 does not match 'hidden', which has 2 layers");
    EXPECT_EQ(errorOf("[1]"), "head.json: expected a JSON object");
    EXPECT_EQ(errorOf("{").rfind("head.json:1:2: not valid JSON: syntax error", 0), 0u) << errorOf("{");
    EXPECT_EQ(errorOf("{\n  \"lr\": 0.1,\n  \"epochs\": }").rfind("head.json:3:13: not valid JSON: syntax error", 0), 0u)
        << errorOf("{\n  \"lr\": 0.1,\n  \"epochs\": }");
}

TEST(HeadSpec, DataDependentChecks)
{
    HeadSpec s;
    s.loss = Loss::BceWithLogits;
    EXPECT_TRUE(validate(s, 2).empty());
    ASSERT_EQ(validate(s, 3).size(), 1u);
    EXPECT_EQ(validate(s, 3)[0], "BCE-with-logits needs exactly two classes; the data has 3");
    s.loss = Loss::CrossEntropy;
    s.classWeights = {1, 2};
    EXPECT_EQ(validate(s, 3)[0], "2 class weights given for 3 classes");
}

TEST(HeadSpec, ParameterCountAndLayers)
{
    HeadSpec probe;
    probe.hidden = {};
    EXPECT_EQ(parameterCount(probe, 768, 2), 768 * 2 + 2);
    probe.loss = Loss::BceWithLogits;
    EXPECT_EQ(parameterCount(probe, 768, 2), 768 + 1);

    HeadSpec mlp;
    mlp.hidden = {512, 256};
    mlp.norm = Norm::LayerNorm;
    EXPECT_EQ(parameterCount(mlp, 768, 3), (768 * 512 + 512) + 2 * 512 + (512 * 256 + 256) + 2 * 256 + (256 * 3 + 3));
    const auto layers = describeLayers(mlp, 768, 3);
    EXPECT_EQ(layers.front().kind, "Linear");
    EXPECT_EQ(layers.front().in, 768);
    EXPECT_EQ(layers.back().kind, "Softmax");
    EXPECT_EQ(layers.back().out, 3);
}

TEST(HeadSpec, SummaryReadsLikeAPerson)
{
    HeadSpec s;
    s.hidden = {512, 512};
    s.activation = Activation::Gelu;
    s.loss = Loss::Focal;
    s.focalGamma = 2;
    EXPECT_EQ(summary(s), "2x512 gelu, focal γ=2");
    s.hidden = {};
    s.loss = Loss::CrossEntropy;
    EXPECT_EQ(summary(s), "linear probe, ce");
}

// Found by fuzz/fuzz_headspec: an overflowing number escaped as an uncaught exception; and a
// width that does not fit an int must not wrap around to a valid one.
TEST(HeadSpec, FuzzFindingsOverflowingNumbersAreMessages)
{
    EXPECT_THROW(headSpecFromJson("5e11111111055e"), Error);
    EXPECT_THROW(headSpecFromJson(R"({"lr": 1e999999})"), Error);
    EXPECT_THROW(headSpecFromJson(R"({"hidden": [4294967808]})"), Error); // would wrap to 512
    EXPECT_THROW(headSpecFromJson(R"({"epochs": 4294967297})"), Error);  // would wrap to 1
    EXPECT_THROW(headSpecFromJson(R"({"seed": -1})"), Error);
    EXPECT_EQ(headSpecFromJson(R"({"seed": 18446744073709551615})").seed, 18446744073709551615ULL);
}

// Issue 14: --hidden 512 --depth 3, {"hidden":[512],"depth":3} and a sweep point with those
// fields are the same head (one width repeated depth times), by the one backend rule.
TEST(HeadSpec, HiddenWithDepthIsTheSameHeadThroughFlagsJsonAndSweeps)
{
    const std::vector<int> three = {512, 512, 512};
    ArchitectureOverrides flags; // what the CLI makes of --hidden 512 --depth 3
    flags.hidden = parseWidthList("512", "--hidden");
    flags.depth = 3;
    EXPECT_EQ(applyArchitecture(HeadSpec{}.hidden, flags, "--hidden/--depth/--width"), three);
    EXPECT_EQ(headSpecFromJson(R"({"hidden": [512], "depth": 3})").hidden, three);
    const auto points = expandSweep(R"({"base": {"hidden": [64, 32]}, "grid": {"hidden": [[512]], "depth": [3]}})");
    ASSERT_EQ(points.size(), 1u);
    EXPECT_EQ(points[0].spec.hidden, three);
    // depth alone keeps the base's first width; width alone keeps the base's depth.
    EXPECT_EQ(expandSweep(R"({"base": {"hidden": [64, 32]}, "grid": {"depth": [3]}})")[0].spec.hidden,
              (std::vector<int>{64, 64, 64}));
    EXPECT_EQ(expandSweep(R"({"base": {"hidden": [64, 32]}, "grid": {"width": [8]}})")[0].spec.hidden,
              (std::vector<int>{8, 8}));
    EXPECT_EQ(headSpecFromJson(R"({"depth": 2, "width": 8})").hidden, (std::vector<int>{8, 8}));
    EXPECT_EQ(headSpecFromJson(R"({"hidden": [7], "depth": 0})").hidden, std::vector<int>{});
    EXPECT_EQ(errorOf(R"({"hidden": [5], "width": 6})"),
              "head.json: give either 'hidden' (a width per layer) or 'width' (one for every layer), not both");
    EXPECT_EQ(errorOf(R"({"depth": 9})"), "head.json: depth 9 must be 0 to 8");
    EXPECT_THROW(parseWidthList("512,abc", "--hidden"), Error);
    EXPECT_EQ(parseWidthList(" 512, 256 ,", "--hidden"), (std::vector<std::int64_t>{512, 256}));
    // An empty width inside the list was dropped: "8,,8" trained a 2x8 head.
    for (const char* text : {"8,,8", ",8", "8, ,8"})
        EXPECT_THROW(parseWidthList(text, "--hidden"), Error) << text;
    EXPECT_EQ(parseWidthList("", "--hidden"), std::vector<std::int64_t>{});
}

// Issue 14: the sweep read widths with an unchecked get<int>(), so 4294967808 became 512.
TEST(HeadSpec, AnOverWideSweepWidthIsRefusedWithAMessage)
{
    for (const char* grid : {R"({"base": {"hidden": [64]}, "grid": {"hidden": [[4294967808]], "depth": [1]}})",
                             R"({"grid": {"width": [4294967808]}})", R"({"grid": {"hidden": [[64, 4294967808]]}})"}) {
        try {
            expandSweep(grid, "sweep.json");
            ADD_FAILURE() << grid << " was accepted";
        } catch (const Error& e) {
            const std::string what = e.what();
            EXPECT_EQ(what.rfind("sweep.json (grid point 1): ", 0), 0u) << what;
            EXPECT_NE(what.find("4294967808"), std::string::npos) << what;
            EXPECT_NE(what.find("widths must be 1 to 65536"), std::string::npos) << what;
        }
    }
}

// The typed fields (CLI flags, designer fields): one rule and one message, whoever types them.
TEST(HeadSpec, TypedL2AndClassWeightsFollowOneRule)
{
    HeadSpec base;
    base.l2 = 0.5;
    base.classWeights = {2, 1};
    EXPECT_FALSE(applySpecText(base, {{"l2", "auto", "--l2"}}).l2);           // auto replaces a value
    EXPECT_FALSE(applySpecText(base, {{"l2", " ", "L2 penalty"}}).l2);        // empty is auto
    EXPECT_EQ(applySpecText(base, {{"l2", "1e-3", "--l2"}}).l2, 1e-3);
    const HeadSpec weighted = applySpecText(base, {{"class_weights", " 1, 3 ", "--class-weights"}});
    EXPECT_EQ(weighted.classWeights, (std::vector<double>{1, 3}));
    EXPECT_FALSE(weighted.autoClassWeights);
    const HeadSpec balanced = applySpecText(base, {{"class_weights", "auto", "--class-weights"}});
    EXPECT_TRUE(balanced.autoClassWeights);
    EXPECT_TRUE(balanced.classWeights.empty());
    EXPECT_TRUE(applySpecText(base, {{"class_weights", "none", "w"}}).classWeights.empty());
    // Not numbers, locale-free: a comma is not a decimal point.
    for (const auto& [field, text, expected] :
         {std::tuple<std::string, std::string, std::string>{"l2", "x", "--l2: 'x' is not a number (expected auto"},
          {"l2", "0,01", "--l2: '0,01' is not a number"},
          {"class_weights", "1,x", "--l2: 'x' is not a number (expected auto, none or one weight per class"},
          {"class_weights", "1,,3", "--l2: '' is not a number"}}) {
        try {
            applySpecText(base, {{field, text, "--l2"}});
            ADD_FAILURE() << text << " accepted";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
        }
    }
}

TEST(HeadSpec, SettingsAHeadIgnoresAreNamedWithTheReason)
{
    HeadSpec probe;
    probe.hidden.clear();
    const auto unused = unusedSettings(probe, {"lr", "epochs", "dropout", "l2", "standardize", "loss"});
    std::vector<std::string> fields;
    for (const auto& u : unused)
        fields.push_back(u.field);
    EXPECT_EQ(fields, (std::vector<std::string>{"lr", "epochs", "dropout"}));
    EXPECT_NE(unused[0].reason.find("no learning rate"), std::string::npos) << unused[0].reason;

    HeadSpec mlp; // 1x256, AdamW, constant schedule, cross-entropy, no early stopping
    fields.clear();
    for (const auto& u : unusedSettings(mlp, {"lr", "l2", "momentum", "step_size", "focal_gamma", "patience", "dropout"}))
        fields.push_back(u.field);
    EXPECT_EQ(fields, (std::vector<std::string>{"l2", "momentum", "step_size", "focal_gamma", "patience"}));

    mlp.optimizer = Optimizer::Sgd;
    mlp.schedule = Schedule::Step;
    mlp.loss = Loss::Focal;
    mlp.earlyStopping = StopMetric::ValLoss;
    EXPECT_TRUE(unusedSettings(mlp, {"momentum", "step_size", "focal_gamma", "patience"}).empty());
    // A linear head trained by Adam (not the probe) uses the minibatch settings but has no layers.
    HeadSpec adamProbe = probe;
    adamProbe.optimizer = Optimizer::Adam;
    fields.clear();
    for (const auto& u : unusedSettings(adamProbe, {"lr", "epochs", "norm", "l2"}))
        fields.push_back(u.field);
    EXPECT_EQ(fields, (std::vector<std::string>{"norm", "l2"}));
}
