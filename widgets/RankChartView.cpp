#include "RankChartView.h"

#include "ChartView.h"

#include <QComboBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QtCharts/QCategoryAxis>
#include <QtCharts/QLegendMarker>
#include <QtCharts/QLineSeries>
#include <QtCharts/QScatterSeries>
#include <QtCharts/QValueAxis>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace headbench {

RankChartView::RankChartView(QWidget* parent)
    : QWidget(parent)
    , m_chart(new ChartView)
    , m_metric(new QComboBox)
    , m_table(new QTableWidget)
{
    m_chart->setObjectName(QStringLiteral("rankChart"));
    m_metric->setObjectName(QStringLiteral("rankMetric"));
    m_table->setObjectName(QStringLiteral("rankTable"));
    m_metric->addItem(tr("LogME (evidence per row)"));
    m_metric->addItem(tr("Linear probe, validation F1"));
    m_chart->setMinimumHeight(260);
    m_table->setColumnCount(6);
    m_table->setHorizontalHeaderLabels({tr("#"), tr("File"), tr("Feature set"), tr("LogME"), tr("Probe val F1"), tr("Seconds")});
    m_table->verticalHeader()->setVisible(false);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(2, QHeaderView::Stretch);

    auto* top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Score")));
    top->addWidget(m_metric);
    top->addStretch(1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(top);
    layout->addWidget(m_chart, 3);
    layout->addWidget(m_table, 2);
    connect(m_metric, &QComboBox::currentIndexChanged, this, [this] { redraw(); });
    redraw();
}

void RankChartView::setEntries(std::vector<RankEntry> entries)
{
    m_entries = std::move(entries);
    m_table->setRowCount(static_cast<int>(m_entries.size()));
    auto cell = [](const QString& text, bool number) {
        auto* item = new QTableWidgetItem(text);
        if (number)
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        return item;
    };
    for (std::size_t i = 0; i < m_entries.size(); ++i) {
        const RankEntry& e = m_entries[i];
        const int r = static_cast<int>(i);
        m_table->setItem(r, 0, cell(QString::number(r + 1), true));
        m_table->setItem(r, 1, cell(QFileInfo(QString::fromStdString(e.file)).fileName(), false));
        m_table->setItem(r, 2, cell(QString::fromStdString(e.featureSet), false));
        m_table->setItem(r, 3, cell(QString::number(e.logme, 'f', 4), true));
        m_table->setItem(r, 4, cell(std::isfinite(e.probeValF1) ? QString::number(e.probeValF1, 'f', 4) : QStringLiteral("–"), true));
        m_table->setItem(r, 5, cell(QString::number(e.seconds, 'f', 1), true));
    }
    redraw();
}

void RankChartView::redraw()
{
    const bool probe = m_metric->currentIndex() == 1;
    auto* chart = new QChart;
    chart->setTitle(probe ? tr("Linear probe validation F1 per layer") : tr("LogME per layer (higher is better)"));
    chart->legend()->setAlignment(Qt::AlignRight);
    // One line per (file, pooling), over the layers; sets of unknown layer sit at x = 0.
    std::map<std::pair<std::string, std::string>, std::vector<QPointF>> lines;
    std::set<std::string> files;
    for (const RankEntry& e : m_entries)
        files.insert(e.file);
    double lo = INFINITY, hi = -INFINITY;
    int maxLayer = 0;
    for (const RankEntry& e : m_entries) {
        const double y = probe ? e.probeValF1 : e.logme;
        if (!std::isfinite(y))
            continue;
        lines[{e.file, e.pooling.empty() ? std::string("features") : e.pooling}].push_back(QPointF(std::max(e.layer, 0), y));
        lo = std::min(lo, y);
        hi = std::max(hi, y);
        maxLayer = std::max(maxLayer, e.layer);
    }
    auto* axisX = new QValueAxis;
    axisX->setTitleText(tr("layer (0 = embeddings)"));
    axisX->setLabelFormat(QStringLiteral("%d"));
    axisX->setRange(-0.2, std::max(1, maxLayer) + 0.2);
    // Ticks on whole layers (anchored at 0), not spread over the padded range.
    axisX->setTickType(QValueAxis::TicksDynamic);
    axisX->setTickAnchor(0);
    axisX->setTickInterval(std::max(1, (maxLayer + 11) / 12));
    auto* axisY = new QValueAxis;
    axisY->setTitleText(probe ? tr("validation F1") : tr("LogME"));
    if (std::isfinite(lo)) {
        const double pad = std::max(1e-3, (hi - lo) * 0.08);
        axisY->setRange(lo - pad, hi + pad);
    }
    chart->addAxis(axisX, Qt::AlignBottom);
    chart->addAxis(axisY, Qt::AlignLeft);
    for (auto& [key, points] : lines) {
        std::sort(points.begin(), points.end(), [](const QPointF& a, const QPointF& b) { return a.x() < b.x(); });
        QString name = QString::fromStdString(key.second);
        if (files.size() > 1)
            name = QFileInfo(QString::fromStdString(key.first)).completeBaseName() + QStringLiteral(" · ") + name;
        auto* line = new QLineSeries;
        line->setName(name);
        line->replace(QList<QPointF>(points.begin(), points.end()));
        chart->addSeries(line);
        line->attachAxis(axisX);
        line->attachAxis(axisY);
        auto* dots = new QScatterSeries; // points stay visible where a line has one layer only
        dots->setMarkerSize(7);
        dots->setColor(line->color());
        dots->replace(QList<QPointF>(points.begin(), points.end()));
        chart->addSeries(dots);
        dots->attachAxis(axisX);
        dots->attachAxis(axisY);
        chart->legend()->markers(dots).front()->setVisible(false);
    }
    QChart* old = m_chart->chart();
    m_chart->setChart(chart);
    delete old;
}

} // namespace headbench
