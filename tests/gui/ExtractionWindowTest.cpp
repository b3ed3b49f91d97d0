// Extraction with a TorchScript backbone from the window: the import dialog's model options,
// progress and Cancel in the status bar, resume on the next try, and a broken model file shown
// as a message while the window stays usable. A Hugging Face model folder chosen in the dialog:
// its summary, broken folders refused with the reason, and an extraction through the window.
#include "ImportDialog.h"
#include "MainWindow.h"
#include "WorkspaceController.h"

#include <headbench/compute/Runtime.h>
#include <headbench/data/Dataset.h>
#include <headbench/data/DemoData.h>
#include <headbench/extract/Extractor.h>
#include <headbench/extract/HashedNgramBackbone.h>

#include <QComboBox>
#include <QGuiApplication>
#include <QLabel>
#include <QScreen>
#include <QDialogButtonBox>
#include <QDir>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableWidget>
#include <QFile>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

using namespace headbench;

namespace {
const QString kModels = QStringLiteral(HEADBENCH_TEST_MODELS "/");
const QString kTokenizers = QStringLiteral(HEADBENCH_TEST_DATA "/tokenizers/");
const QString kHfModels = QStringLiteral(HEADBENCH_TEST_HF_MODELS "/"); // tools/make_hf_fixtures.py
} // namespace

class ExtractionWindowTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void importDialogAsksForModelAndTokenizer();
    void importPreviewShowsFieldsInFileOrder();
    void importNeverGuessesTheCodeAsTheLabel();
    void extractsWithAModelCancelsAndResumes();
    void brokenModelShowsAMessage();
    void opensAMergedFile();
    void importDialogReadsAModelFolder();
    void extractsWithAModelFolderFromTheDialog();

private:
    QTemporaryDir m_dir;
    QString m_dataset;
};

void ExtractionWindowTest::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    configureRuntime(2);
    QVERIFY(m_dir.isValid());
    m_dataset = m_dir.filePath(QStringLiteral("code.jsonl"));
    writeJsonl(generateDemoDataset(900, 11), m_dataset.toStdString());
}

void ExtractionWindowTest::importPreviewShowsFieldsInFileOrder()
{
    // Fields named otherwise than the defaults, in no alphabetical order; the fourth row adds one.
    const QString path = m_dir.filePath(QStringLiteral("order.jsonl"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("{\"code\": \"int a();\", \"vul\": 1, \"commit\": 99989}\n"
            "{\"code\": \"int b();\", \"vul\": 0, \"commit\": 9990}\n"
            "{\"code\": \"int c();\", \"vul\": 0, \"commit\": 12}\n"
            "{\"code\": \"int d();\", \"vul\": 1, \"commit\": 13, \"project\": \"xen\"}\n");
    f.close();
    ImportDialog dialog(path, m_dir.path());
    QVERIFY(dialog.previewOk());
    auto* text = dialog.findChild<QComboBox*>(QStringLiteral("textField"));
    auto* label = dialog.findChild<QComboBox*>(QStringLiteral("labelField"));
    auto* id = dialog.findChild<QComboBox*>(QStringLiteral("idField"));
    auto* preview = dialog.findChild<QTableWidget*>(QStringLiteral("preview"));
    QVERIFY(text && label && id && preview);
    QStringList columns;
    for (int i = 0; i < text->count(); ++i)
        columns << text->itemData(i).toString();
    QCOMPARE(columns, (QStringList{QStringLiteral("code"), QStringLiteral("vul"), QStringLiteral("commit"), QStringLiteral("project")}));
    QCOMPARE(label->currentData().toString(), QStringLiteral("vul")); // a usual label name, without 'target'
    text->setCurrentIndex(text->findData(QStringLiteral("code")));
    label->setCurrentIndex(label->findData(QStringLiteral("vul")));
    id->setCurrentIndex(id->findData(QStringLiteral("commit")));
    QCOMPARE(preview->rowCount(), 4);
    QCOMPARE(preview->item(0, 0)->text(), QStringLiteral("99989")); // a number shown as written
    QCOMPARE(preview->item(1, 1)->text(), QStringLiteral("0"));
    QCOMPARE(preview->item(3, 2)->text(), QStringLiteral("int d();"));
    QCOMPARE(dialog.fields().text, std::string("code"));
}

// BigVul rows without their label: the dialog took the code as the label (200 rows, 200 classes).
void ExtractionWindowTest::importNeverGuessesTheCodeAsTheLabel()
{
    const QString path = m_dir.filePath(QStringLiteral("nolabel.jsonl"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    for (int i = 0; i < 8; ++i)
        f.write(QStringLiteral("{\"func\": \"int f%1();\", \"idx\": %1, \"cwe\": \"CWE-%2\"}\n").arg(i).arg(i % 2 ? 121 : 190).toUtf8());
    f.close();
    ImportDialog dialog(path, m_dir.path());
    QVERIFY(dialog.previewOk());
    auto* label = dialog.findChild<QComboBox*>(QStringLiteral("labelField"));
    QVERIFY(label);
    QCOMPARE(label->currentData().toString(), QStringLiteral("cwe")); // repeats its values: a class
    QVERIFY(dialog.fields().label != dialog.fields().text);
}

void ExtractionWindowTest::importDialogAsksForModelAndTokenizer()
{
    ImportDialog dialog(m_dataset, m_dir.path());
    QVERIFY(dialog.previewOk());
    auto* backbone = dialog.findChild<QComboBox*>(QStringLiteral("backbone"));
    QVERIFY(backbone);
    auto* buttons = dialog.findChild<QDialogButtonBox*>();
    QPushButton* extract = buttons->button(QDialogButtonBox::Ok);
    QVERIFY(extract->isEnabled()); // built-in backbone: ready as is
    QCOMPARE(dialog.request().backbone, QStringLiteral("hashed-ngram"));
    backbone->setCurrentIndex(backbone->findData(QStringLiteral("torchscript")));
    QVERIFY(!extract->isEnabled());
    QVERIFY(extract->toolTip().contains(QStringLiteral("model file")));
    auto* model = dialog.findChild<QLineEdit*>(QStringLiteral("modelPath"));
    auto* tokenizer = dialog.findChild<QLineEdit*>(QStringLiteral("tokenizerPath"));
    QVERIFY(model && tokenizer);
    model->setText(kModels + QStringLiteral("bert_like.pt"));
    QVERIFY(!extract->isEnabled());
    QVERIFY(extract->toolTip().contains(QStringLiteral("tokenizer")));
    tokenizer->setText(kTokenizers + QStringLiteral("bpe/tokenizer.json"));
    QVERIFY(extract->isEnabled());
    const ExtractionRequest r = dialog.request();
    QCOMPARE(r.backbone, QStringLiteral("torchscript"));
    QCOMPARE(r.pooling, QStringLiteral("mean"));
    QCOMPARE(r.maxLength, 512);
    QCOMPARE(r.longMode, QStringLiteral("head"));
    QVERIFY(r.modelPath.endsWith(QStringLiteral("bert_like.pt")));
    auto* longMode = dialog.findChild<QComboBox*>(QStringLiteral("longMode"));
    QVERIFY(longMode && longMode->isVisibleTo(&dialog));
    longMode->setCurrentIndex(longMode->findData(QStringLiteral("windows")));
    QCOMPARE(dialog.request().longMode, QStringLiteral("windows"));
    const QString shots = qEnvironmentVariable("HEADBENCH_SCREENSHOT_DIR");
    if (!shots.isEmpty()) {
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        QVERIFY(dialog.grab().save(QDir(shots).filePath(QStringLiteral("import-dialog.png"))));
    }
}

void ExtractionWindowTest::extractsWithAModelCancelsAndResumes()
{
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.openWorkspace(m_dir.path());
    ExtractionRequest request;
    request.backbone = QStringLiteral("torchscript");
    request.modelPath = kModels + QStringLiteral("decoder_like.pt");
    request.tokenizerPath = kTokenizers + QStringLiteral("sentencepiece/tokenizer.model");
    request.pooling = QStringLiteral("last");
    request.batchSize = 2; // chunks of 32 rows
    const QString out = m_dir.filePath(QStringLiteral("features/code.h5"));

    QSignalSpy progress(window.workspace(), &WorkspaceController::jobProgress);
    QSignalSpy finished(window.workspace(), &WorkspaceController::jobFinished);
    window.workspace()->extractDataset(m_dataset, FieldMap{}, request, out);
    QVERIFY(window.cancelJobButton()->isVisible());
    QTRY_VERIFY_WITH_TIMEOUT(!progress.isEmpty() && progress.last().at(0).toLongLong() >= 100, 120000);
    QVERIFY(window.statusText().contains(QStringLiteral("rows/s")));
    QTest::mouseClick(window.cancelJobButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
    QVERIFY(!QFileInfo::exists(out));
    QVERIFY(window.statusText().contains(QStringLiteral("cancelled")));
    QVERIFY(!window.cancelJobButton()->isVisible());

    QSignalSpy loaded(window.workspace(), &WorkspaceController::featuresLoaded);
    window.workspace()->extractDataset(m_dataset, FieldMap{}, request, out);
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 300000);
    QVERIFY(window.statusText().contains(QStringLiteral("came from the interrupted run")));
    QCOMPARE(window.workspace()->features()->rows, 900);
    QCOMPARE(window.workspace()->features()->dim, 24); // read from the model, nothing assumed
    QCOMPARE(QString::fromStdString(window.workspace()->features()->attributes.at("pooling")), QStringLiteral("last"));
    QCOMPARE(QString::fromStdString(window.workspace()->features()->attributes.at("long")), QStringLiteral("head"));
    QVERIFY(window.trainAction()->isEnabled());

    // The same extraction again is taken from the cache.
    QSignalSpy loadedAgain(window.workspace(), &WorkspaceController::featuresLoaded);
    window.workspace()->extractDataset(m_dataset, FieldMap{}, request, out);
    QTRY_COMPARE_WITH_TIMEOUT(loadedAgain.count(), 1, 60000);
    QVERIFY(window.statusText().contains(QStringLiteral("reused")));
}

void ExtractionWindowTest::brokenModelShowsAMessage()
{
    MainWindow window;
    window.show();
    QSignalSpy loaded(window.workspace(), &WorkspaceController::featuresLoaded);
    window.openWorkspace(m_dir.path()); // loads features/code.h5 from the test before
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 60000);
    ExtractionRequest request;
    request.backbone = QStringLiteral("torchscript");
    request.modelPath = kModels + QStringLiteral("broken_random.pt");
    request.tokenizerPath = kTokenizers + QStringLiteral("bpe/tokenizer.json");
    QSignalSpy errors(window.workspace(), &WorkspaceController::errorOccurred);
    window.workspace()->extractDataset(m_dataset, FieldMap{}, request, m_dir.filePath(QStringLiteral("features/broken.h5")));
    QTRY_COMPARE_WITH_TIMEOUT(errors.count(), 1, 60000);
    QVERIFY(window.lastError().contains(QStringLiteral("broken_random.pt")));
    QVERIFY(window.lastError().contains(QStringLiteral("not a TorchScript model")));
    QVERIFY(!window.workspace()->busy());
    QVERIFY(!QFileInfo::exists(m_dir.filePath(QStringLiteral("features/broken.h5"))));
    QVERIFY(window.workspace()->featuresPath().endsWith(QStringLiteral("code.h5"))); // still loaded
    QVERIFY(window.trainAction()->isEnabled());
}

void ExtractionWindowTest::opensAMergedFile()
{
    // Shards from a job array, merged: the window opens the result like any feature file.
    QTemporaryDir dir; // a folder of its own: no other feature file is loaded with it
    const Dataset data = generateDemoDataset(300, 4);
    HashedNgramBackbone backbone(128);
    std::vector<std::string> shards;
    for (int i = 0; i < 3; ++i) {
        shards.push_back(dir.filePath(QStringLiteral("shard%1.h5").arg(i)).toStdString());
        QVERIFY(extractFeatures(data, backbone, shards.back(), nullptr, {.shardIndex = i, .shardCount = 3}));
    }
    const QString merged = dir.filePath(QStringLiteral("merged.h5"));
    QCOMPARE(mergeShards(shards, merged.toStdString()), 300);
    MainWindow window;
    window.show();
    QSignalSpy loaded(window.workspace(), &WorkspaceController::featuresLoaded);
    window.openFeatureFile(merged);
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 60000);
    QCOMPARE(window.workspace()->features()->rows, 300);
    QCOMPARE(window.workspace()->features()->texts.front(), data.texts.front());
    QVERIFY(window.trainAction()->isEnabled());
}

void ExtractionWindowTest::importDialogReadsAModelFolder()
{
    ImportDialog dialog(m_dataset, m_dir.path());
    QVERIFY(dialog.previewOk());
    auto* backbone = dialog.findChild<QComboBox*>(QStringLiteral("backbone"));
    auto* folder = dialog.findChild<QLineEdit*>(QStringLiteral("modelFolder"));
    auto* summary = dialog.findChild<QLabel*>(QStringLiteral("folderSummary"));
    auto* model = dialog.findChild<QLineEdit*>(QStringLiteral("modelPath"));
    auto* tokenizer = dialog.findChild<QLineEdit*>(QStringLiteral("tokenizerPath"));
    auto* longMode = dialog.findChild<QComboBox*>(QStringLiteral("longMode"));
    QVERIFY(backbone && folder && summary && model && tokenizer && longMode);
    QPushButton* extract = dialog.findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok);
    QVERIFY(backbone->findData(QStringLiteral("hf-folder")) >= 0);
    backbone->setCurrentIndex(backbone->findData(QStringLiteral("hf-folder")));
    QVERIFY(folder->isVisibleTo(&dialog) && summary->isVisibleTo(&dialog));
    QVERIFY(!model->isVisibleTo(&dialog)); // the TorchScript file's row is not this one's
    QVERIFY(tokenizer->isVisibleTo(&dialog) && longMode->isVisibleTo(&dialog));
    QVERIFY(!extract->isEnabled());
    QVERIFY2(dialog.message().contains(QStringLiteral("model folder")), qPrintable(dialog.message()));

    // A good folder (two BF16 shards and an index): its summary, Extract ready, the folder's tokenizer.
    folder->setText(kHfModels + QStringLiteral("roberta"));
    QVERIFY2(summary->text().contains(QStringLiteral("roberta (RobertaForMaskedLM)")), qPrintable(summary->text()));
    QVERIFY2(summary->text().contains(QStringLiteral("3 layers")), qPrintable(summary->text()));
    QVERIFY(summary->text().contains(QStringLiteral("hidden 48")));
    QVERIFY(summary->text().contains(QStringLiteral("BF16")));
    QVERIFY(summary->text().contains(QStringLiteral("tokenizer.json")));
    QVERIFY2(extract->isEnabled(), qPrintable(dialog.message()));
    QVERIFY(dialog.message().isEmpty());
    QVERIFY(tokenizer->placeholderText().contains(QStringLiteral("tokenizer.json")));
    ExtractionRequest r = dialog.request();
    QCOMPARE(r.backbone, QStringLiteral("hf-folder"));
    QCOMPARE(r.modelPath, QDir::cleanPath(kHfModels + QStringLiteral("roberta")));
    QVERIFY(r.tokenizerPath.isEmpty()); // the folder's own
    QCOMPARE(r.batchSize, 16);
    folder->setText(kHfModels + QStringLiteral("llama/")); // a trailing slash, a sentencepiece tokenizer
    QVERIFY2(summary->text().contains(QStringLiteral("llama")) && summary->text().contains(QStringLiteral("2 layers")) &&
                 summary->text().contains(QStringLiteral("tokenizer.model")),
             qPrintable(summary->text()));
    QVERIFY(extract->isEnabled());
    QVERIFY(dialog.request().modelPath.endsWith(QStringLiteral("/llama")));

    // A broken folder: the reason under it and in the message line, Extract disabled.
    folder->setText(kHfModels + QStringLiteral("broken/no_config"));
    QVERIFY(!extract->isEnabled());
    QVERIFY2(dialog.message().contains(QStringLiteral("config.json")), qPrintable(dialog.message()));
    QVERIFY2(summary->text().contains(QStringLiteral("config.json")), qPrintable(summary->text()));
    folder->setText(kHfModels + QStringLiteral("broken/misshaped_tensor"));
    QVERIFY(!extract->isEnabled());
    QVERIFY2(dialog.message().contains(QStringLiteral("model.safetensors")), qPrintable(dialog.message()));
    folder->setText(m_dir.filePath(QStringLiteral("no-such-folder")));
    QVERIFY(!extract->isEnabled());
    QVERIFY(dialog.message().contains(QStringLiteral("not a folder")));

    // A folder without a tokenizer: Extract waits for one to be chosen.
    QTemporaryDir bare;
    for (const char* name : {"config.json", "model.safetensors"})
        QVERIFY(QFile::copy(kHfModels + QStringLiteral("bert/") + QLatin1String(name), QDir(bare.path()).filePath(QLatin1String(name))));
    folder->setText(bare.path());
    QVERIFY2(summary->text().contains(QStringLiteral("bert")) && summary->text().contains(QStringLiteral("no tokenizer")),
             qPrintable(summary->text()));
    QVERIFY(!extract->isEnabled());
    QVERIFY2(dialog.message().contains(QStringLiteral("no tokenizer.json or tokenizer.model")), qPrintable(dialog.message()));
    tokenizer->setText(kHfModels + QStringLiteral("bert/tokenizer.json"));
    QVERIFY(extract->isEnabled());
    QCOMPARE(dialog.request().tokenizerPath, kHfModels + QStringLiteral("bert/tokenizer.json"));

    // Back to TorchScript: the folder's rows go, the model file's come back.
    backbone->setCurrentIndex(backbone->findData(QStringLiteral("torchscript")));
    QVERIFY(!folder->isVisibleTo(&dialog) && !summary->isVisibleTo(&dialog));
    QVERIFY(model->isVisibleTo(&dialog));
    QVERIFY(!extract->isEnabled());
}

void ExtractionWindowTest::extractsWithAModelFolderFromTheDialog()
{
    // The window's own path: File > Import's dialog, the folder chosen in it, Extract.
    QTemporaryDir ws; // a workspace of its own: the other tests' feature files stay out of it
    const QString dataset = QDir(ws.path()).filePath(QStringLiteral("funcs.jsonl"));
    writeJsonl(generateDemoDataset(90, 5), dataset.toStdString());
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.openWorkspace(ws.path());
    window.importDataset(dataset);
    auto* dialog = window.findChild<ImportDialog*>();
    QVERIFY(dialog);
    QTRY_VERIFY(dialog->isVisible());
    auto* backbone = dialog->findChild<QComboBox*>(QStringLiteral("backbone"));
    backbone->setCurrentIndex(backbone->findData(QStringLiteral("hf-folder")));
    dialog->findChild<QLineEdit*>(QStringLiteral("modelFolder"))->setText(kHfModels + QStringLiteral("roberta"));
    QPushButton* extract = dialog->findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok);
    QVERIFY2(extract->isEnabled(), qPrintable(dialog->message()));
    if (const QString shots = qEnvironmentVariable("HEADBENCH_SCREENSHOT_DIR"); !shots.isEmpty()) {
        // Under X (xvfb-run -s "-screen 0 WxHx24"): the whole screen, the dialog over the window.
        QScreen* screen = QGuiApplication::primaryScreen();
        window.setGeometry(screen->availableGeometry());
        dialog->move(window.geometry().center() - dialog->rect().center());
        QTest::qWait(300);
        const auto save = [screen, shots](const QString& name) {
            const QPixmap shot = screen->grabWindow(0);
            return !shot.isNull() && shot.save(QDir(shots).filePath(QStringLiteral("%1-%2x%3.png").arg(name).arg(shot.width()).arg(shot.height())));
        };
        QVERIFY(save(QStringLiteral("import-hf-folder")));
        auto* folder = dialog->findChild<QLineEdit*>(QStringLiteral("modelFolder"));
        folder->setText(kHfModels + QStringLiteral("broken/truncated_shard")); // the longest message
        QTest::qWait(300);
        QVERIFY(save(QStringLiteral("import-hf-folder-broken")));
        folder->setText(kHfModels + QStringLiteral("roberta"));
    }
    // It fits a small laptop screen (1024x680, less a title bar) with the folder's rows shown.
    QVERIFY2(dialog->minimumSizeHint().width() <= 1024 && dialog->minimumSizeHint().height() <= 640,
             qPrintable(QStringLiteral("%1x%2").arg(dialog->minimumSizeHint().width()).arg(dialog->minimumSizeHint().height())));
    // Every layer at once: one feature set per hidden state (the embeddings and 3 layers).
    auto* layers = dialog->findChild<QComboBox*>(QStringLiteral("layers"));
    QVERIFY(layers && layers->isVisible());
    layers->setCurrentIndex(layers->findData(QStringLiteral("all")));
    QCOMPARE(dialog->request().layers, QStringLiteral("all"));
    QSignalSpy loaded(window.workspace(), &WorkspaceController::featuresLoaded);
    extract->click();
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 120000);
    QTRY_VERIFY(!window.findChild<ImportDialog*>());
    const auto features = window.workspace()->features();
    QVERIFY(features);
    QCOMPARE(static_cast<int>(features->featureSets.size()), 4);
    QCOMPARE(QString::fromStdString(features->featureSet), QStringLiteral("layer3.mean")); // the default set
    QVERIFY(window.workspace()->featuresPath().endsWith(QStringLiteral("features/funcs.h5")));
    QCOMPARE(features->rows, 90);
    QCOMPARE(features->dim, 48); // the folder's hidden_size
    QCOMPARE(QString::fromStdString(features->backbone), QStringLiteral("roberta")); // the folder's name
    QCOMPARE(QString::fromStdString(features->attributes.at("tokenizer_file")), QStringLiteral("tokenizer.json"));
    QCOMPARE(QString::fromStdString(features->attributes.at("pooling")), QStringLiteral("mean"));
    QVERIFY(window.trainAction()->isEnabled());
}

QTEST_MAIN(ExtractionWindowTest)
#include "ExtractionWindowTest.moc"
