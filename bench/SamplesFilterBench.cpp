// How long the samples table takes to show one confusion-matrix cell (what a click on the
// matrix does) on a large split, against the same filters set one at a time in the table's own
// boxes. The click froze the window for 7 s on 105,611 training rows.
//
//   QT_QPA_PLATFORM=offscreen build/bench/samples_filter_bench [--rows N]
#include "SampleTableModel.h"
#include "SamplesPanel.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QComboBox>
#include <QElapsedTimer>
#include <QTableView>

#include <cstdio>
#include <memory>
#include <numeric>
#include <random>

using namespace headbench;

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QCommandLineParser parser;
    const QCommandLineOption rowsOpt(QStringLiteral("rows"), QStringLiteral("rows"), QStringLiteral("N"), QStringLiteral("105611"));
    parser.addOption(rowsOpt);
    parser.process(app);
    const int rows = parser.value(rowsOpt).toInt();

    auto data = std::make_shared<SampleData>();
    data->numClasses = 2;
    data->labelNames = {"safe", "vulnerable"};
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> u(0, 1);
    for (int r = 0; r < rows; ++r) {
        data->ids.push_back(std::to_string(100000 + r));
        data->labels.push_back(r % 7 == 0 ? 1 : 0);
        const float p = data->labels.back() ? 0.3f + 0.7f * u(rng) : 0.6f * u(rng);
        data->probabilities.push_back(1 - p);
        data->probabilities.push_back(p);
        data->texts.push_back("static void f" + std::to_string(r) + "(char *data) { char buf[10]; strcpy(buf, data); }");
    }
    std::vector<std::int64_t> all(static_cast<std::size_t>(rows));
    std::iota(all.begin(), all.end(), 0);

    SamplesPanel panel;
    panel.resize(1280, 700);
    panel.show();
    panel.setSamples(data, all);
    app.processEvents();
    auto timed = [&](const char* what, const std::function<void()>& action) {
        QElapsedTimer clock;
        clock.start();
        action();
        app.processEvents();
        std::printf("%-60s %8.1f ms  (%lld rows shown)\n", what, static_cast<double>(clock.nsecsElapsed()) / 1e6,
                    static_cast<long long>(panel.table()->model()->rowCount()));
    };
    std::printf("%d rows\n", rows);
    timed("cell click: true safe, predicted safe (filterToCell)", [&] { panel.filterToCell(0, 0); });
    timed("cell click: true vulnerable, predicted safe", [&] { panel.filterToCell(1, 0); });
    panel.clearFilters();
    app.processEvents();
    auto* trueBox = panel.findChild<QComboBox*>(QStringLiteral("trueClassFilter"));
    auto* predBox = panel.findChild<QComboBox*>(QStringLiteral("predictedClassFilter"));
    if (trueBox && predBox)
        timed("the same cell through the table's class boxes", [&] {
            trueBox->setCurrentIndex(trueBox->findData(0));
            predBox->setCurrentIndex(predBox->findData(0));
        });
    panel.table()->sortByColumn(SampleTableModel::ConfidenceColumn, Qt::DescendingOrder);
    app.processEvents();
    timed("cell click with the table sorted by confidence", [&] { panel.filterToCell(0, 0); });
    timed("cell click with the table sorted by confidence (other cell)", [&] { panel.filterToCell(1, 1); });
    return 0;
}
