#include <headbench/core/Error.h>
#include <headbench/data/FeatureFile.h>
#include <headbench/eval/PredictionFiles.h>
#include "TestUtil.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>

using namespace headbench;

namespace {

/// Probabilities a real run writes: random ones, and the extremes a confident head gives.
float drawProbability(std::mt19937& rng)
{
    static const float extremes[] = {0.0f,
                                     1.0f,
                                     std::numeric_limits<float>::denorm_min(), // 1.4e-45
                                     std::numeric_limits<float>::min(),        // FLT_MIN
                                     7.146622e-43f,
                                     1e-38f,
                                     std::nextafter(1.0f, 0.0f), // 1 - 6e-8, the float nearest 1 - 1e-8 below 1
                                     5.9604645e-08f,
                                     0.5f};
    std::uniform_int_distribution<int> pick(0, 2);
    switch (pick(rng)) {
    case 0:
        return extremes[std::uniform_int_distribution<int>(0, std::size(extremes) - 1)(rng)];
    case 1:
        return std::uniform_real_distribution<float>(0, 1)(rng);
    default: // log-uniform down to the denormals
        return std::exp2(std::uniform_real_distribution<float>(-149, 0)(rng));
    }
}

/// Ids that need quoting or are not ASCII.
std::string drawId(std::mt19937& rng, int row)
{
    static const std::string pieces[] = {"a", ",", "\"", "\n", "\r\n", "ü", "漢字", " ", "'", ";", "\t", "x"};
    std::string id = std::to_string(row);
    const int n = std::uniform_int_distribution<int>(0, 5)(rng);
    for (int i = 0; i < n; ++i)
        id += pieces[std::uniform_int_distribution<int>(0, std::size(pieces) - 1)(rng)];
    return id;
}

void expectSameBits(const std::vector<float>& a, const std::vector<float>& b)
{
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i)
        ASSERT_EQ(std::bit_cast<std::uint32_t>(a[i]), std::bit_cast<std::uint32_t>(b[i]))
            << "value " << i << ": wrote " << a[i] << ", read " << b[i];
}

/// A row of K probabilities adding up to 1 (as a softmax gives; the reader refuses others), one
/// of them drawn from the extremes of drawProbability, in a random place.
std::vector<float> drawRow(std::mt19937& rng, int k)
{
    std::vector<float> row{drawProbability(rng)};
    float rest = 1.0f - row.front();
    std::uniform_real_distribution<float> share(0.0f, 1.0f);
    for (int c = 1; c + 1 < k; ++c) {
        const float v = rest * share(rng);
        row.push_back(v);
        rest -= v;
    }
    row.push_back(std::max(rest, 0.0f));
    std::shuffle(row.begin(), row.end(), rng);
    return row;
}

} // namespace

// Property: predictions.csv reads back exactly as written, whatever the ids and probabilities.
TEST(PredictionFiles, PredictionsRoundTripWithExtremesAndOddIds)
{
    test::TempDir dir;
    std::mt19937 rng(21);
    for (int trial = 0; trial < 30; ++trial) {
        Predictions p;
        p.numClasses = std::uniform_int_distribution<int>(2, 5)(rng);
        for (int c = 0; c < p.numClasses; ++c)
            p.labelNames.push_back(c == 1 ? "safe, \"really\"" : "class " + std::to_string(c));
        const int rows = std::uniform_int_distribution<int>(1, 300)(rng);
        for (int r = 0; r < rows; ++r) {
            p.ids.push_back(drawId(rng, r));
            p.labels.push_back(std::uniform_int_distribution<int>(0, p.numClasses - 1)(rng));
            p.split.push_back(static_cast<std::uint8_t>(std::uniform_int_distribution<int>(0, 2)(rng)));
            for (float v : drawRow(rng, p.numClasses))
                p.probabilities.push_back(v);
        }
        const std::string path = dir.file("predictions.csv");
        writePredictionsCsv(path, p);
        const Predictions back = readPredictionsCsv(path);
        ASSERT_EQ(back.ids, p.ids);
        ASSERT_EQ(back.labels, p.labels);
        ASSERT_EQ(back.split, p.split);
        ASSERT_EQ(back.labelNames, p.labelNames);
        ASSERT_EQ(back.numClasses, p.numClasses);
        expectSameBits(back.probabilities, p.probabilities);
    }
}

// A hand-edited row whose probabilities do not add up to 1 was read and scored.
TEST(PredictionFiles, ARowThatDoesNotAddUpToOneIsRefused)
{
    test::TempDir dir;
    const std::string path = dir.file("predictions.csv");
    test::writeFile(path, "id,split,label,predicted,p_a,p_b\nr1,test,0,0,0.9,0.1\nr2,test,1,1,0.9,0.9\n");
    try {
        readPredictionsCsv(path);
        ADD_FAILURE() << "a row adding up to 1.8 was read";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(path + ": line 3: the probabilities of row 'r2' add up to 1.8, not 1"),
                  std::string::npos)
            << e.what();
    }
    test::writeFile(path, "id,split,label,predicted,p_a,p_b\nr1,test,0,1,1.4e-45,1\nr2,test,1,0,0.99999994,5.9604645e-08\n");
    EXPECT_EQ(readPredictionsCsv(path).ids.size(), 2u);
}

// The predicted column is written from the probabilities; a row where they disagree was edited
// by hand and was read without a word (the figures come from the probabilities).
TEST(PredictionFiles, APredictedClassTheProbabilitiesDoNotGiveIsRefused)
{
    test::TempDir dir;
    const std::string path = dir.file("predictions.csv");
    struct Case {
        std::string classes;
        std::string rows;
        std::string expected; ///< empty: read
    };
    const Case cases[] = {
        {"p_a,p_b", "r1,test,0,0,0.7,0.3\nr2,test,1,0,0.2,0.8\n",
         "line 3: row 'r2' says predicted 0, but its probabilities give class 1"},
        // Two classes: p1 >= 0.5 is class 1, so a tie is class 1.
        {"p_a,p_b", "r1,test,0,1,0.5,0.5\n", ""},
        {"p_a,p_b", "r1,test,0,0,0.5,0.5\n", "line 2: row 'r1' says predicted 0, but its probabilities give class 1"},
        // More classes: the arg-max.
        {"p_a,p_b,p_c", "r1,test,2,2,0.1,0.2,0.7\n", ""},
        {"p_a,p_b,p_c", "r1,test,2,1,0.1,0.2,0.7\n", "line 2: row 'r1' says predicted 1, but its probabilities give class 2"},
    };
    for (const Case& c : cases) {
        test::writeFile(path, "id,split,label,predicted," + c.classes + "\n" + c.rows);
        try {
            readPredictionsCsv(path);
            EXPECT_TRUE(c.expected.empty()) << "accepted " << c.rows;
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(path + ": " + c.expected), std::string::npos) << e.what();
            EXPECT_FALSE(c.expected.empty()) << e.what();
        }
    }
}

TEST(PredictionFiles, OutOfFoldRoundTrips)
{
    test::TempDir dir;
    std::mt19937 rng(5);
    OutOfFold o;
    o.labelNames = {"vulnerable", "safe", "ünknown"};
    for (int r = 0; r < 500; ++r) {
        o.ids.push_back(drawId(rng, r));
        o.labels.push_back(r % 3);
        o.fold.push_back(r % 5);
        for (float v : drawRow(rng, 3))
            o.probabilities.push_back(v);
    }
    writeOutOfFoldCsv(dir.file("oof.csv"), o);
    const OutOfFold back = readOutOfFoldCsv(dir.file("oof.csv"));
    EXPECT_EQ(back.ids, o.ids);
    EXPECT_EQ(back.labels, o.labels);
    EXPECT_EQ(back.fold, o.fold);
    EXPECT_EQ(back.labelNames, o.labelNames);
    expectSameBits(back.probabilities, o.probabilities);
}

TEST(PredictionFiles, LeakageRowsRoundTrip)
{
    test::TempDir dir;
    std::mt19937 rng(9);
    std::vector<LeakageRow> rows;
    for (int r = 0; r < 400; ++r) {
        LeakageRow row;
        row.id = drawId(rng, r);
        row.split = r % 2 ? kValidation : kTest;
        row.exact = r % 3 == 0;
        row.near = r % 5 == 0;
        row.conflicting = r % 7 == 0;
        const bool none = r % 4 == 0;
        row.nearestTrainId = none ? std::string() : drawId(rng, r + 1000);
        row.similarity = none ? std::numeric_limits<float>::quiet_NaN() : drawProbability(rng);
        rows.push_back(row);
    }
    writeLeakageCsv(dir.file("leakage.csv"), rows);
    const auto back = readLeakageCsv(dir.file("leakage.csv"));
    ASSERT_EQ(back.size(), rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        EXPECT_EQ(back[i].id, rows[i].id);
        EXPECT_EQ(back[i].split, rows[i].split);
        EXPECT_EQ(back[i].exact, rows[i].exact);
        EXPECT_EQ(back[i].near, rows[i].near);
        EXPECT_EQ(back[i].conflicting, rows[i].conflicting);
        EXPECT_EQ(back[i].nearestTrainId, rows[i].nearestTrainId);
        if (std::isnan(rows[i].similarity))
            EXPECT_TRUE(std::isnan(back[i].similarity));
        else
            EXPECT_EQ(std::bit_cast<std::uint32_t>(back[i].similarity), std::bit_cast<std::uint32_t>(rows[i].similarity));
    }
}

// A damaged file is refused naming the file, the line and the field, never read as something else.
TEST(PredictionFiles, DamagedFieldsAreNamedWithFileAndLine)
{
    test::TempDir dir;
    const std::string path = dir.file("predictions.csv");
    const std::string header = "id,split,label,predicted,p_vulnerable,p_safe\n";
    struct Case {
        std::string row;
        std::string expected;
    };
    const Case cases[] = {
        {"a,test,1,1,0.5,abc\n", "line 3: p_safe 'abc' is not a number"},
        {"a,test,1,1,0.5,1.5\n", "line 3: p_safe '1.5' is not a probability in [0, 1]"},
        {"a,test,1,1,0.5,nan\n", "line 3: p_safe 'nan' is not a probability in [0, 1]"},
        {"a,test,1,1,-1e-3,0.5\n", "line 3: p_vulnerable '-1e-3' is not a probability"},
        {"a,test,7,1,0.5,0.5\n", "line 3: label '7' is not a class 0..1"},
        {"a,tests,1,1,0.5,0.5\n", "line 3: split 'tests' is not train, validation or test"},
        {"a,test,1,1,0.5,1e40\n", "line 3: p_safe '1e40' is not a number"},
    };
    for (const Case& c : cases) {
        test::writeFile(path, header + "ok,train,0,0,1,1e-50\n" + c.row);
        try {
            readPredictionsCsv(path);
            ADD_FAILURE() << "accepted " << c.row;
        } catch (const Error& e) {
            const std::string message = e.what();
            EXPECT_NE(message.find(path), std::string::npos) << message;
            EXPECT_NE(message.find(c.expected), std::string::npos) << message;
        }
    }
    // Underflow is not damage: 1e-50 reads as 0.
    test::writeFile(path, header + "ok,train,0,0,1,1e-50\n");
    EXPECT_EQ(readPredictionsCsv(path).probabilities[1], 0.0f);
}
