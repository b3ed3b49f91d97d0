#pragma once
/// \file HeadDesignerPanel.h
#include <headbench/runs/RunPlan.h>
#include <headbench/train/HeadSpec.h>

#include <QWidget>

QT_BEGIN_NAMESPACE
class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QSpinBox;
QT_END_NAMESPACE

namespace headbench {

class HeadDiagramView;

/// Every option of a head spec as form controls, with a drawing of the layers and the
/// parameter count that follow every edit. Invalid combinations are explained in the panel.
class HeadDesignerPanel : public QWidget {
    Q_OBJECT
public:
    explicit HeadDesignerPanel(QWidget* parent = nullptr);

    /// The spec the controls describe.
    HeadSpec spec() const;
    /// What Train trains: the head with the designer's repeats, cross-validation folds and
    /// calibration, on `split` (trainPlan). Throws headbench::Error for settings that cannot go
    /// together (repeats with cross-validation, one fold).
    RunPlan plan(SplitMode split) const;
    /// The settings of the designer a sweep's points share (calibration), on `split`.
    PlanSettings sweepSettings(SplitMode split) const;
    void setSpec(const HeadSpec& spec);
    /// A run's settings besides its head, as Load spec brings them back: calibrated or not, and
    /// its cross-validation folds (0: none). Repeats are set to one (a run is one seed).
    void setRunSettings(bool calibrate, int cvFolds);
    /// The shape of the loaded features (drawing, parameter count, checks that need it).
    void setDataShape(std::int64_t inputDim, int numClasses);
    /// Problems of the current spec for the loaded data; empty when it can be trained.
    QStringList problems() const;
    /// The designer's typed fields (class weights, L2) as the backend's applySpecText takes them.
    std::vector<SpecTextField> typedFields() const;
    std::int64_t parameterCount() const;
    /// What Train will do beyond one run, said in a few words ("3 seeds", "+ 5-fold
    /// cross-validation", "calibrated"); empty for a plain run. The window shows it by the Train
    /// button, where a setting scrolled out of view still shows.
    QString extraWork() const;

    // Controls, for tests and keyboard users.
    QSpinBox* depthBox() const { return m_depth; }
    QLineEdit* widthsEdit() const { return m_widths; }
    QComboBox* activationBox() const { return m_activation; }
    QComboBox* lossBox() const { return m_loss; }
    QDoubleSpinBox* dropoutBox() const { return m_dropout; }
    QSpinBox* epochsBox() const { return m_epochs; }
    QComboBox* optimizerBox() const { return m_optimizer; }
    QLineEdit* l2Edit() const { return m_l2; }
    QComboBox* standardizeBox() const { return m_standardize; }
    QLabel* problemLabel() const { return m_problemLabel; }
    /// How the run is set up besides the head: seeds to train (one split) and calibration.
    QSpinBox* repeatsBox() const { return m_repeats; }
    QCheckBox* calibrateBox() const { return m_calibrate; }
    QSpinBox* crossValidationBox() const { return m_cvFolds; }
    QLabel* parameterLabel() const { return m_paramLabel; }

    /// The feature sets (layer × pooling) of the loaded file; the chooser shows only when there
    /// are two or more. `current` is the one loaded.
    void setFeatureSets(const QStringList& names, const QString& current);
    QComboBox* featureSetBox() const { return m_featureSet; }

Q_SIGNALS:
    void specChanged();
    /// Emitted when the spec becomes trainable or stops being so.
    void validityChanged(bool valid);
    /// The user picked another feature set of the loaded file (the window loads it).
    void featureSetChosen(QString name);
    /// Repeats, cross-validation folds or calibration changed (extraWork()).
    void extraWorkChanged(QString text);

private:
    QWidget* makeFeatureSetChooser();
    void refresh();
    void syncWidthsToDepth();
    /// The layers of the depth box and widths field; empty with `problem` set when refused.
    std::vector<int> parsedWidths(QString* problem) const;

    QSpinBox* m_depth;
    QLineEdit* m_widths;
    QComboBox* m_activation;
    QDoubleSpinBox* m_dropout;
    QComboBox* m_norm;
    QComboBox* m_loss;
    QDoubleSpinBox* m_focalGamma;
    QComboBox* m_classWeights;
    QLineEdit* m_customWeights;
    QDoubleSpinBox* m_labelSmoothing;
    QComboBox* m_optimizer;
    QLineEdit* m_l2;
    QComboBox* m_standardize;
    QDoubleSpinBox* m_lr;
    QDoubleSpinBox* m_weightDecay;
    QDoubleSpinBox* m_momentum;
    QComboBox* m_schedule;
    QSpinBox* m_stepSize;
    QSpinBox* m_epochs;
    QSpinBox* m_batchSize;
    QComboBox* m_earlyStopping;
    QSpinBox* m_patience;
    QSpinBox* m_seed;
    QSpinBox* m_repeats;
    QCheckBox* m_calibrate;
    QSpinBox* m_cvFolds;
    QComboBox* m_featureSet = nullptr;
    QWidget* m_featureSetGroup = nullptr;
    HeadDiagramView* m_diagram;
    QLabel* m_paramLabel;
    QLabel* m_problemLabel;
    std::int64_t m_inputDim = 0;
    int m_numClasses = 0;
    bool m_valid = true;
    bool m_updating = false;
};

} // namespace headbench
