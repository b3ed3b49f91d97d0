// File ▸ New workspace, the import dialog's extraction and the Help menu of the main window.
#include "MainWindow.h"

#include "JobStatusBar.h"

#include "EvaluationView.h"
#include "ImportDialog.h"
#include "LossChartView.h"
#include "SamplesPanel.h"
#include "ShortcutsDialog.h"
#include "TrainingController.h"
#include "WorkspaceController.h"

#include <headbench/core/Error.h>
#include <headbench/runs/Workspace.h>

#include <QAction>
#include <QCoreApplication>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QImage>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QScrollBar>
#include <QTextBrowser>
#include <QUrl>
#include <QVBoxLayout>

#include <algorithm>
#include <utility>

namespace headbench {

QAction* MainWindow::addNewWorkspaceAction(QMenu* file)
{
    QAction* action = file->addAction(tr("&New workspace…"), QKeySequence::New, this, [this] {
        // Start beside the open workspace: new ones usually sit next to the others.
        const QString start = m_workspace->workspace().isEmpty() ? QDir::homePath()
                                                                 : QFileInfo(m_workspace->workspace()).absolutePath();
        const QString dir = QFileDialog::getExistingDirectory(
            this, tr("New workspace: choose or create an empty folder"), start, QFileDialog::ShowDirsOnly);
        if (!dir.isEmpty())
            newWorkspace(dir);
    });
    action->setObjectName(QStringLiteral("newWorkspaceAction"));
    action->setToolTip(tr("Make an empty folder a workspace and switch the window to it"));
    return action;
}

bool MainWindow::newWorkspace(const QString& dir)
{
    try {
        createWorkspace(QDir::toNativeSeparators(dir).toStdString());
    } catch (const Error& e) {
        showError(QString::fromStdString(e.what()));
        return false;
    }
    openWorkspace(dir);
    m_status->showMessage(tr("New workspace %1").arg(QDir::toNativeSeparators(m_workspace->workspace())));
    return true;
}

void MainWindow::clearShownRun()
{
    m_runSamples.reset();
    m_runSplit.clear();
    m_evaluation->clear();
    m_samples->setSamples(nullptr, {});
    m_shownRunName.clear();
    m_shownRunDir.clear();
    m_status->runChanged();
    m_leakageBanner->hide();
    if (!m_training->isRunning()) {
        m_lossChart->clear();
        m_lossChart->setRunName(QString());
    }
}

void MainWindow::startImport(ImportDialog* dialog)
{
    const auto reopen = [dialog](const QString& message) {
        dialog->showError(message);
        dialog->open();
    };
    if (m_workspace->busy())
        return reopen(tr("Another job is still running; wait for it or cancel it, then press Extract again."));
    try {
        m_workspace->extractDataset(dialog->datasetRequest(), dialog->request(), dialog->outputPath());
    } catch (const Error& e) { // e.g. class names that do not parse: fix them in the dialog
        return reopen(QString::fromStdString(e.what()));
    }
    m_importRunning = true;
    m_importError.clear();
}

void MainWindow::finishImport()
{
    if (!m_importRunning)
        return;
    m_importRunning = false;
    if (!m_importDialog)
        return;
    if (m_importError.isEmpty()) { // extracted and loaded, or cancelled by the user
        m_importDialog->deleteLater();
        return;
    }
    m_importDialog->showError(tr("The import failed: %1").arg(std::exchange(m_importError, QString())));
    m_importDialog->open();
}

QString MainWindow::readmePath()
{
    // Installed: <prefix>/bin/headbench and <prefix>/share/doc/HeadBench/README.md; else the
    // source tree the binary was built from.
    const QStringList candidates = {
        QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral(HEADBENCH_DOC_FROM_BIN "/README.md")),
        QStringLiteral(HEADBENCH_SOURCE_DIR "/README.md")};
    for (const QString& path : candidates)
        if (QFileInfo(path).isFile())
            return QDir::cleanPath(path);
    return {};
}

namespace {

/// The README rendered, its images no wider than the page: the screenshot (1280 px) made the
/// text scroll sideways in a 960 px dialog.
class ReadmeBrowser : public QTextBrowser {
public:
    using QTextBrowser::QTextBrowser;
    QVariant loadResource(int type, const QUrl& name) override
    {
        QVariant resource = QTextBrowser::loadResource(type, name);
        if (type != QTextDocument::ImageResource)
            return resource;
        QImage image = resource.typeId() == QMetaType::QImage ? qvariant_cast<QImage>(resource)
                                                                : QImage::fromData(resource.toByteArray());
        // The vertical scroll bar the long text brings takes its width from the page once shown.
        const int scrollBar = verticalScrollBar()->isVisible() ? 0 : verticalScrollBar()->sizeHint().width();
        const int room = viewport()->width() - scrollBar - 2 * static_cast<int>(document()->documentMargin()) - 4;
        if (image.isNull() || room <= 0 || image.width() <= room)
            return resource;
        return image.scaledToWidth(room, Qt::SmoothTransformation);
    }
};

} // namespace

void MainWindow::showReadme(const QString& path)
{
    // Shown here, rendered: a desktop without a Markdown viewer (most) could not open it.
    auto* dialog = new QDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(tr("HeadBench — README"));
    auto* browser = new ReadmeBrowser(dialog);
    browser->setObjectName(QStringLiteral("readmeBrowser"));
    browser->setOpenExternalLinks(true);
    browser->setSearchPaths({QFileInfo(path).absolutePath()}); // docs/… links and the screenshot
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, dialog);
    connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::reject);
    auto* layout = new QVBoxLayout(dialog);
    layout->addWidget(browser, 1);
    layout->addWidget(buttons);
    dialog->resize(std::min(width() - 40, 960), std::min(height() - 40, 720));
    dialog->open();
    // Loaded once the dialog has its size: images are fitted to the page's width.
    browser->setSource(QUrl::fromLocalFile(path), QTextDocument::MarkdownResource);
}

void MainWindow::buildHelpMenu()
{
    QMenu* help = menuBar()->addMenu(tr("&Help"));
    QAction* readme = help->addAction(tr("&README"), QKeySequence::HelpContents, this, [this] {
        const QString path = readmePath();
        if (path.isEmpty())
            showError(tr("README.md was found neither in the installed documentation (%1) nor in the source tree (%2).")
                          .arg(QDir::cleanPath(QDir(QCoreApplication::applicationDirPath())
                                                   .filePath(QStringLiteral(HEADBENCH_DOC_FROM_BIN))),
                               QStringLiteral(HEADBENCH_SOURCE_DIR)));
        else
            showReadme(path);
    });
    readme->setObjectName(QStringLiteral("readmeAction"));
    QAction* shortcuts = help->addAction(tr("&Keyboard shortcuts"), QKeySequence(Qt::CTRL | Qt::Key_Slash), this, [this] {
        auto* dialog = new ShortcutsDialog(this);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        dialog->open();
    });
    shortcuts->setObjectName(QStringLiteral("shortcutsAction"));
}

} // namespace headbench
