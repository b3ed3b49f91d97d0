#include "HeadDesignerPanel.h"

#include "HeadDiagramView.h"

#include <headbench/core/Error.h>

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QEvent>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QVBoxLayout>

#include <algorithm>

namespace headbench {
namespace {

/// Wheel turns over a field that has no keyboard focus scroll the panel instead of changing the
/// value: scrolling down the designer turned label smoothing 0 -> 0.2 and batch size 256 -> 160
/// on the way, and the next run trained with them. The event is left unaccepted so Qt hands it
/// on to the scroll area around the panel.
class WheelNeedsFocus : public QObject {
public:
    using QObject::QObject;

protected:
    bool eventFilter(QObject* watched, QEvent* event) override
    {
        if (event->type() == QEvent::Wheel)
            if (auto* w = qobject_cast<QWidget*>(watched); w && !w->hasFocus()) {
                event->ignore();
                return true;
            }
        return QObject::eventFilter(watched, event);
    }
};

template <typename E> void fillCombo(QComboBox* box, std::initializer_list<E> values)
{
    for (E v : values)
        box->addItem(QString::fromStdString(toString(v)), static_cast<int>(v));
}

template <typename E> E comboValue(const QComboBox* box)
{
    return static_cast<E>(box->currentData().toInt());
}

template <typename E> void setCombo(QComboBox* box, E value)
{
    box->setCurrentIndex(box->findData(static_cast<int>(value)));
}

QDoubleSpinBox* doubleBox(double lo, double hi, int decimals, double step)
{
    auto* b = new QDoubleSpinBox;
    b->setRange(lo, hi);
    b->setDecimals(decimals);
    b->setSingleStep(step);
    return b;
}

QSpinBox* intBox(int lo, int hi)
{
    auto* b = new QSpinBox;
    b->setRange(lo, hi);
    return b;
}

} // namespace

HeadDesignerPanel::HeadDesignerPanel(QWidget* parent)
    : QWidget(parent)
    , m_depth(intBox(0, 8))
    , m_widths(new QLineEdit)
    , m_activation(new QComboBox)
    , m_dropout(doubleBox(0, 0.95, 2, 0.05))
    , m_norm(new QComboBox)
    , m_loss(new QComboBox)
    , m_focalGamma(doubleBox(0, 10, 2, 0.5))
    , m_classWeights(new QComboBox)
    , m_customWeights(new QLineEdit)
    , m_labelSmoothing(doubleBox(0, 0.5, 2, 0.05))
    , m_optimizer(new QComboBox)
    , m_l2(new QLineEdit)
    , m_standardize(new QComboBox)
    , m_lr(doubleBox(0.00001, 10, 5, 0.0005))
    , m_weightDecay(doubleBox(0, 1, 5, 0.0001))
    , m_momentum(doubleBox(0, 0.99, 2, 0.05))
    , m_schedule(new QComboBox)
    , m_stepSize(intBox(1, 10000))
    , m_epochs(intBox(1, 100000))
    , m_batchSize(intBox(1, 1 << 20))
    , m_earlyStopping(new QComboBox)
    , m_patience(intBox(1, 1000))
    , m_seed(intBox(0, 2147483647))
    , m_repeats(intBox(1, 100))
    , m_calibrate(new QCheckBox(tr("temperature")))
    , m_cvFolds(intBox(0, 20))
    , m_diagram(new HeadDiagramView)
    , m_paramLabel(new QLabel)
    , m_problemLabel(new QLabel)
{
    fillCombo(m_activation, {Activation::Relu, Activation::Gelu, Activation::Tanh, Activation::Silu, Activation::LeakyRelu});
    fillCombo(m_norm, {Norm::None, Norm::LayerNorm, Norm::BatchNorm});
    m_loss->addItem(tr("cross-entropy"), static_cast<int>(Loss::CrossEntropy));
    m_loss->addItem(tr("BCE with logits"), static_cast<int>(Loss::BceWithLogits));
    m_loss->addItem(tr("focal"), static_cast<int>(Loss::Focal));
    fillCombo(m_optimizer, {Optimizer::Auto, Optimizer::Lbfgs, Optimizer::AdamW, Optimizer::Adam, Optimizer::Sgd});
    m_optimizer->setToolTip(tr("auto: L-BFGS for a linear probe (depth 0), AdamW otherwise"));
    m_l2->setPlaceholderText(tr("auto (picked on validation)"));
    m_l2->setToolTip(tr("L2 penalty of the L-BFGS probe: mean loss + l2/2 · |W|²; empty or 'auto' tries "
                        "scikit-learn's C in 0.01 … 100 and keeps the best validation loss"));
    m_standardize->addItem(tr("auto (on for L-BFGS)"));
    m_standardize->addItem(tr("on"));
    m_standardize->addItem(tr("off"));
    m_standardize->setToolTip(tr("Z-score the features with the training split's mean and deviation; "
                                 "folded into the saved head, which still takes raw features"));
    fillCombo(m_schedule, {Schedule::Constant, Schedule::Cosine, Schedule::Step});
    fillCombo(m_earlyStopping, {StopMetric::None, StopMetric::ValLoss, StopMetric::ValF1, StopMetric::ValAccuracy, StopMetric::ValRocAuc});
    m_classWeights->addItem(tr("none"));
    m_classWeights->addItem(tr("auto (balanced)"));
    m_classWeights->addItem(tr("custom"));
    m_customWeights->setPlaceholderText(tr("one weight per class, e.g. 1, 3"));
    m_widths->setPlaceholderText(tr("e.g. 512, 256"));
    m_widths->setToolTip(tr("Width of each hidden layer, comma separated; one value is used for every layer"));
    m_batchSize->setSingleStep(32);
    m_lr->setToolTip(tr("Learning rate (linear probes on normalised features like ~0.01, MLPs ~0.001)"));

    auto* arch = new QGroupBox(tr("Architecture"));
    auto* archForm = new QFormLayout(arch);
    archForm->addRow(tr("&Depth"), m_depth);
    archForm->addRow(tr("&Widths"), m_widths);
    archForm->addRow(tr("&Activation"), m_activation);
    archForm->addRow(tr("Dr&opout"), m_dropout);
    archForm->addRow(tr("&Normalisation"), m_norm);

    auto* lossBox = new QGroupBox(tr("Loss"));
    auto* lossForm = new QFormLayout(lossBox);
    lossForm->addRow(tr("&Loss"), m_loss);
    lossForm->addRow(tr("Focal &gamma"), m_focalGamma);
    lossForm->addRow(tr("Class &weights"), m_classWeights);
    lossForm->addRow(QString(), m_customWeights);
    lossForm->addRow(tr("Label smoothing"), m_labelSmoothing);

    auto* optBox = new QGroupBox(tr("Training"));
    auto* optForm = new QFormLayout(optBox);
    optForm->addRow(tr("O&ptimiser"), m_optimizer);
    optForm->addRow(tr("L&2 penalty"), m_l2);
    optForm->addRow(tr("Standardise inputs"), m_standardize);
    optForm->addRow(tr("Learning &rate"), m_lr);
    optForm->addRow(tr("Weight decay"), m_weightDecay);
    optForm->addRow(tr("Momentum"), m_momentum);
    optForm->addRow(tr("&Schedule"), m_schedule);
    optForm->addRow(tr("Step every (epochs)"), m_stepSize);
    optForm->addRow(tr("&Epochs"), m_epochs);
    optForm->addRow(tr("&Batch size"), m_batchSize);
    optForm->addRow(tr("Early stopping"), m_earlyStopping);
    optForm->addRow(tr("Patience"), m_patience);
    optForm->addRow(tr("S&eed"), m_seed);
    m_repeats->setObjectName(QStringLiteral("repeats"));
    m_repeats->setToolTip(tr("Train this head with this many seeds (seed, seed + 1, ...) on one split; the runs are "
                             "grouped like a sweep and compared as one"));
    m_calibrate->setObjectName(QStringLiteral("calibrate"));
    m_calibrate->setToolTip(tr("Temperature scaling: after training, fit one temperature on the validation split; the run's probabilities "
                               "and head are then calibrated"));
    optForm->addRow(tr("Repeats (seeds)"), m_repeats);
    optForm->addRow(tr("Calibrate"), m_calibrate);
    m_cvFolds->setObjectName(QStringLiteral("crossValidation"));
    m_cvFolds->setSpecialValueText(tr("off"));
    m_cvFolds->setToolTip(tr("After the run, K more heads on its training and validation rows: per-fold metrics and "
                             "out-of-fold probabilities, from which Samples ▸ Likely label issue ranks the rows"));
    optForm->addRow(tr("Cross-validation folds"), m_cvFolds);
    for (QSpinBox* box : {m_repeats, m_cvFolds})
        connect(box, &QSpinBox::valueChanged, this, [this] { Q_EMIT extraWorkChanged(extraWork()); });
    connect(m_calibrate, &QCheckBox::toggled, this, [this] { Q_EMIT extraWorkChanged(extraWork()); });

    m_problemLabel->setWordWrap(true);
    m_problemLabel->setStyleSheet(QStringLiteral("color: #c62828;"));
    m_paramLabel->setStyleSheet(QStringLiteral("font-weight: bold;"));
    m_paramLabel->setWordWrap(true);

    // In a narrow dock (1024x680) a row whose label and field do not fit side by side puts the
    // field under its label, rather than widening the panel past the dock (fields cut at the
    // edge, a horizontal scroll bar).
    for (QFormLayout* form : {archForm, lossForm, optForm})
        form->setRowWrapPolicy(QFormLayout::WrapLongRows);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(makeFeatureSetChooser());
    layout->addWidget(arch);
    layout->addWidget(lossBox);
    layout->addWidget(optBox);
    layout->addWidget(m_problemLabel);
    layout->addWidget(m_paramLabel);
    layout->addWidget(m_diagram, 1);

    setSpec(HeadSpec{});
    auto changed = [this] { refresh(); };
    connect(m_depth, &QSpinBox::valueChanged, this, [this] {
        syncWidthsToDepth();
        refresh();
    });
    connect(m_widths, &QLineEdit::textEdited, this, changed);
    // Each choice shows whole ("auto (on for L-BFGS)", "cross-entropy"): in a narrow dock the
    // row puts the box under its label (WrapLongRows below) instead of cutting the text.
    for (QComboBox* box : {m_activation, m_norm, m_loss, m_classWeights, m_optimizer, m_standardize, m_schedule, m_earlyStopping}) {
        // The longest choice's own width (minimumContentsLength counts in widths of "X", which
        // asks for a third more than the text needs), plus the frame and the arrow.
        int longest = 0;
        for (int i = 0; i < box->count(); ++i)
            longest = std::max(longest, box->fontMetrics().horizontalAdvance(box->itemText(i)));
        box->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
        box->setMinimumContentsLength(4);
        box->setMinimumWidth(longest + 32);
    }
    for (QComboBox* box : {m_activation, m_norm, m_loss, m_classWeights, m_optimizer, m_standardize, m_schedule, m_earlyStopping})
        connect(box, &QComboBox::currentIndexChanged, this, changed);
    for (QDoubleSpinBox* box : {m_dropout, m_focalGamma, m_labelSmoothing, m_lr, m_weightDecay, m_momentum})
        connect(box, &QDoubleSpinBox::valueChanged, this, changed);
    for (QSpinBox* box : {m_stepSize, m_epochs, m_batchSize, m_patience, m_seed})
        connect(box, &QSpinBox::valueChanged, this, changed);
    connect(m_customWeights, &QLineEdit::textEdited, this, changed);
    connect(m_l2, &QLineEdit::textEdited, this, changed);

    auto* wheel = new WheelNeedsFocus(this);
    QList<QWidget*> fields;
    for (QWidget* box : findChildren<QAbstractSpinBox*>())
        fields.append(box);
    for (QWidget* box : findChildren<QComboBox*>())
        fields.append(box);
    for (QWidget* field : fields) {
        field->setFocusPolicy(Qt::StrongFocus); // a click or Tab gives focus; the wheel does not
        field->installEventFilter(wheel);
    }
}

std::vector<int> HeadDesignerPanel::parsedWidths(QString* problem) const
{
    // Depth and widths go through the backend's one rule, as --depth/--hidden and JSON specs do:
    // one width is used for every layer, a list must have one width per layer.
    std::vector<std::int64_t> typed;
    try {
        typed = parseWidthList(m_widths->text().toStdString(), "widths");
    } catch (const Error&) {
        if (problem)
            *problem = tr("Widths must be whole numbers separated by commas.");
        return {};
    }
    try {
        ArchitectureOverrides arch;
        arch.hidden = typed;
        arch.depth = m_depth->value();
        return applyArchitecture({}, arch, "Head");
    } catch (const Error& e) {
        if (problem)
            *problem = QString::fromStdString(e.what());
        return {};
    }
}

void HeadDesignerPanel::syncWidthsToDepth()
{
    std::vector<std::int64_t> widths;
    try {
        widths = parseWidthList(m_widths->text().toStdString(), "widths");
    } catch (const Error&) {
        widths.clear(); // unreadable text: start again from the default width
    }
    const auto depth = static_cast<std::size_t>(m_depth->value());
    const std::int64_t fill = widths.empty() ? 256 : widths.back();
    widths.resize(depth, fill);
    QStringList parts;
    for (std::int64_t w : widths)
        parts << QString::number(w);
    m_widths->setText(parts.join(QStringLiteral(", ")));
}

HeadSpec HeadDesignerPanel::spec() const
{
    HeadSpec s;
    s.hidden = m_depth->value() == 0 ? std::vector<int>{} : parsedWidths(nullptr);
    s.activation = comboValue<Activation>(m_activation);
    s.dropout = m_dropout->value();
    s.norm = comboValue<Norm>(m_norm);
    s.loss = comboValue<Loss>(m_loss);
    s.focalGamma = m_focalGamma->value();
    s.labelSmoothing = m_labelSmoothing->value();
    s.optimizer = comboValue<Optimizer>(m_optimizer);
    // The typed fields go through the backend's one rule for them, as the CLI's flags do; a
    // field that is not a number leaves the spec's default, and problems() says why.
    try {
        s = applySpecText(s, typedFields());
    } catch (const Error&) {
    }
    if (m_standardize->currentIndex() > 0)
        s.standardize = m_standardize->currentIndex() == 1;
    s.learningRate = m_lr->value();
    s.weightDecay = m_weightDecay->value();
    s.momentum = m_momentum->value();
    s.schedule = comboValue<Schedule>(m_schedule);
    s.stepSize = m_stepSize->value();
    s.epochs = m_epochs->value();
    s.batchSize = m_batchSize->value();
    s.earlyStopping = comboValue<StopMetric>(m_earlyStopping);
    s.patience = m_patience->value();
    s.seed = static_cast<std::uint64_t>(m_seed->value());
    return s;
}

void HeadDesignerPanel::setRunSettings(bool calibrate, int cvFolds)
{
    m_calibrate->setChecked(calibrate);
    m_repeats->setValue(1);
    m_cvFolds->setValue(cvFolds);
}

void HeadDesignerPanel::setSpec(const HeadSpec& s)
{
    m_updating = true;
    m_depth->setValue(s.depth());
    QStringList widths;
    for (int w : s.hidden)
        widths << QString::number(w);
    m_widths->setText(widths.join(QStringLiteral(", ")));
    setCombo(m_activation, s.activation);
    m_dropout->setValue(s.dropout);
    setCombo(m_norm, s.norm);
    setCombo(m_loss, s.loss);
    m_focalGamma->setValue(s.focalGamma);
    m_classWeights->setCurrentIndex(s.autoClassWeights ? 1 : s.classWeights.empty() ? 0 : 2);
    QStringList weights;
    for (double w : s.classWeights)
        weights << QString::number(w);
    m_customWeights->setText(weights.join(QStringLiteral(", ")));
    m_labelSmoothing->setValue(s.labelSmoothing);
    setCombo(m_optimizer, s.optimizer);
    m_l2->setText(s.l2 ? QString::number(*s.l2, 'g', 6) : QString());
    m_standardize->setCurrentIndex(!s.standardize ? 0 : *s.standardize ? 1 : 2);
    m_lr->setValue(s.learningRate);
    m_weightDecay->setValue(s.weightDecay);
    m_momentum->setValue(s.momentum);
    setCombo(m_schedule, s.schedule);
    m_stepSize->setValue(s.stepSize);
    m_epochs->setValue(s.epochs);
    m_batchSize->setValue(s.batchSize);
    setCombo(m_earlyStopping, s.earlyStopping);
    m_patience->setValue(s.patience);
    m_seed->setValue(static_cast<int>(std::min<std::uint64_t>(s.seed, 2147483647)));
    m_updating = false;
    refresh();
}

void HeadDesignerPanel::setDataShape(std::int64_t inputDim, int numClasses)
{
    m_inputDim = inputDim;
    m_numClasses = numClasses;
    refresh();
}

PlanSettings HeadDesignerPanel::sweepSettings(SplitMode split) const
{
    PlanSettings settings;
    settings.options.split = split;
    settings.options.calibrate = m_calibrate->isChecked() ? CalibrationMethod::Temperature : CalibrationMethod::None;
    return settings;
}

QString HeadDesignerPanel::extraWork() const
{
    QStringList parts;
    if (m_repeats->value() > 1)
        parts << tr("%n seeds", nullptr, m_repeats->value());
    if (m_cvFolds->value() > 1)
        parts << tr("+ %1-fold cross-validation (%1 more heads)").arg(m_cvFolds->value());
    if (m_calibrate->isChecked())
        parts << tr("calibrated");
    return parts.join(QStringLiteral(" · "));
}

RunPlan HeadDesignerPanel::plan(SplitMode split) const
{
    PlanSettings settings = sweepSettings(split);
    settings.cvFolds = m_cvFolds->value();
    if (settings.cvFolds == 1)
        throw Error(tr("Cross-validation needs at least 2 folds.").toStdString());
    if (m_repeats->value() > 1 && settings.cvFolds > 0)
        throw Error(tr("Repeats and cross-validation cannot be combined: cross-validate a single seed.").toStdString());
    return trainPlan(spec(), m_repeats->value(), settings);
}

std::vector<SpecTextField> HeadDesignerPanel::typedFields() const
{
    const int choice = m_classWeights->currentIndex(); // none, auto (balanced), custom
    return {{"class_weights", choice == 2 ? m_customWeights->text().toStdString() : std::string(choice == 1 ? "auto" : "none"),
             tr("Class weights").toStdString()},
            {"l2", m_l2->text().toStdString(), tr("L2 penalty").toStdString()}};
}

QStringList HeadDesignerPanel::problems() const
{
    QStringList out;
    try {
        applySpecText(HeadSpec{}, typedFields());
    } catch (const Error& e) {
        out << QString::fromStdString(e.what());
    }
    QString widthProblem;
    parsedWidths(&widthProblem);
    if (m_depth->value() > 0 && !widthProblem.isEmpty())
        out << widthProblem;
    for (const auto& p : validate(spec(), m_numClasses))
        out << QString::fromStdString(p);
    if (m_numClasses == 0)
        out << tr("Load a feature file to train.");
    return out;
}

std::int64_t HeadDesignerPanel::parameterCount() const
{
    return headbench::parameterCount(spec(), m_inputDim, std::max(m_numClasses, 2));
}

void HeadDesignerPanel::refresh()
{
    if (m_updating)
        return;
    const HeadSpec s = spec();
    // Show only the controls that matter for the choices made.
    m_focalGamma->setEnabled(s.loss == Loss::Focal);
    m_customWeights->setEnabled(m_classWeights->currentIndex() == 2);
    const bool lbfgs = resolvedOptimizer(s) == Optimizer::Lbfgs;
    m_momentum->setEnabled(s.optimizer == Optimizer::Sgd);
    m_stepSize->setEnabled(s.schedule == Schedule::Step && !lbfgs);
    m_patience->setEnabled(s.earlyStopping != StopMetric::None && !lbfgs);
    // L-BFGS runs full-batch to a gradient tolerance: the minibatch settings do not apply.
    m_l2->setEnabled(lbfgs);
    for (QWidget* w : std::initializer_list<QWidget*>{m_lr, m_weightDecay, m_schedule, m_epochs, m_batchSize, m_earlyStopping})
        w->setEnabled(!lbfgs);
    m_widths->setEnabled(m_depth->value() > 0);
    m_dropout->setEnabled(m_depth->value() > 0);
    m_norm->setEnabled(m_depth->value() > 0);
    m_activation->setEnabled(m_depth->value() > 0);

    const QStringList problems = this->problems();
    m_problemLabel->setText(problems.join(QLatin1Char('\n')));
    m_problemLabel->setVisible(!problems.isEmpty());
    const int k = std::max(m_numClasses, 2);
    m_diagram->setLayers(describeLayers(s, m_inputDim, k), m_inputDim);
    m_paramLabel->setText(tr("%1 parameters  ·  %2").arg(QLocale().toString(static_cast<qlonglong>(parameterCount())),
                                                        QString::fromStdString(summary(s))));
    const bool valid = problems.isEmpty();
    if (valid != m_valid) {
        m_valid = valid;
        Q_EMIT validityChanged(valid);
    }
    Q_EMIT specChanged();
}

QWidget* HeadDesignerPanel::makeFeatureSetChooser()
{
    m_featureSet = new QComboBox;
    m_featureSet->setObjectName(QStringLiteral("featureSet"));
    m_featureSet->setToolTip(tr("Which hidden layer and pooling of the backbone to train on (the loaded file holds "
                                "several; Tools ▸ Rank representations scores them all)"));
    auto* group = new QGroupBox(tr("Features"));
    auto* form = new QFormLayout(group);
    form->addRow(tr("Feature &set"), m_featureSet);
    group->setVisible(false);
    m_featureSetGroup = group;
    connect(m_featureSet, &QComboBox::activated, this, [this] { Q_EMIT featureSetChosen(m_featureSet->currentText()); });
    return group;
}

void HeadDesignerPanel::setFeatureSets(const QStringList& names, const QString& current)
{
    const QSignalBlocker block(m_featureSet);
    m_featureSet->clear();
    m_featureSet->addItems(names);
    m_featureSet->setCurrentIndex(std::max(0, static_cast<int>(names.indexOf(current))));
    m_featureSetGroup->setVisible(names.size() > 1);
}

} // namespace headbench
