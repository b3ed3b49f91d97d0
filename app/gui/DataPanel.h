#pragma once
/// \file DataPanel.h
/// The window's Data dock: what the workspace and its loaded feature file hold, the split
/// training uses, and the buttons that bring data in.
#include <headbench/data/Split.h>

#include <QWidget>

#include <memory>

class QComboBox;
class QLabel;
class QScrollArea;

namespace headbench {

struct FeatureSet;

class DataPanel : public QWidget {
    Q_OBJECT
public:
    explicit DataPanel(QWidget* parent = nullptr);

    /// Shows the workspace folder (empty: none open) and a summary of the loaded features
    /// (null: none): rows, dimension, backbone, classes, split.
    void showData(const QString& workspace, const QString& featuresPath, const std::shared_ptr<const FeatureSet>& features);
    QString summaryText() const;
    SplitMode splitMode() const;
    QComboBox* splitModeBox() const { return m_splitMode; }

Q_SIGNALS:
    void openFeaturesClicked();
    void importClicked();
    void demoClicked();
    void splitModeChanged(headbench::SplitMode mode);

private:
    QLabel* m_summary;
    QScrollArea* m_summaryScroll; ///< holds m_summary; scrolls in a short dock
    QComboBox* m_splitMode;
    // What showData() last showed, to show it again when the split chosen changes.
    QString m_workspace, m_featuresPath;
    std::shared_ptr<const FeatureSet> m_features;
};

} // namespace headbench
