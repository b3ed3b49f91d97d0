#include "CodeViewer.h"

#include <QPainter>
#include <QSet>
#include <QTextBlock>
#include <QTextCursor>

#include <QFontDatabase>

#include <algorithm>

namespace headbench {

CSyntaxHighlighter::CSyntaxHighlighter(QTextDocument* document)
    : QSyntaxHighlighter(document)
{
    auto format = [](const QColor& color, bool bold = false, bool italic = false) {
        QTextCharFormat f;
        f.setForeground(color);
        if (bold)
            f.setFontWeight(QFont::Bold);
        f.setFontItalic(italic);
        return f;
    };
    const QString keywords = QStringLiteral(
        "auto|break|case|const|continue|default|do|else|enum|extern|for|goto|if|inline|register|restrict|return|"
        "sizeof|static|struct|switch|typedef|union|volatile|while|class|namespace|template|typename|public|private|"
        "protected|virtual|new|delete|nullptr|NULL|true|false");
    const QString types = QStringLiteral(
        "void|char|short|int|long|float|double|signed|unsigned|bool|size_t|ssize_t|uint8_t|uint16_t|uint32_t|"
        "uint64_t|int8_t|int16_t|int32_t|int64_t|FILE");
    const QString risky = QStringLiteral(
        "strcpy|strncpy|strcat|strncat|memcpy|memmove|memset|sprintf|snprintf|printf|fprintf|syslog|gets|scanf|"
        "malloc|calloc|realloc|free|getenv");
    m_rules.append({QRegularExpression(QStringLiteral("\\b(%1)\\b").arg(keywords)), format(QColor(0x7b, 0x1f, 0xa2), true)});
    m_rules.append({QRegularExpression(QStringLiteral("\\b(%1)\\b").arg(types)), format(QColor(0x00, 0x69, 0x7c), true)});
    m_rules.append({QRegularExpression(QStringLiteral("\\b(%1)(?=\\s*\\()").arg(risky)), format(QColor(0xc6, 0x28, 0x28), true)});
    m_rules.append({QRegularExpression(QStringLiteral("\\b(0[xX][0-9a-fA-F]+|\\d+(\\.\\d+)?)[uUlLfF]*\\b")), format(QColor(0xad, 0x14, 0x57))});
    m_rules.append({QRegularExpression(QStringLiteral("^\\s*#.*")), format(QColor(0x55, 0x8b, 0x2f))});
    m_rules.append({QRegularExpression(QStringLiteral("\"(\\\\.|[^\"\\\\])*\"|'(\\\\.|[^'\\\\])*'")), format(QColor(0x2e, 0x7d, 0x32))});
    m_rules.append({QRegularExpression(QStringLiteral("//[^\n]*")), format(QColor(0x75, 0x75, 0x75), false, true)});
    m_comment = format(QColor(0x75, 0x75, 0x75), false, true);
}

void CSyntaxHighlighter::highlightBlock(const QString& text)
{
    for (const Rule& rule : std::as_const(m_rules)) {
        auto it = rule.pattern.globalMatch(text);
        while (it.hasNext()) {
            const auto m = it.next();
            setFormat(static_cast<int>(m.capturedStart()), static_cast<int>(m.capturedLength()), rule.format);
        }
    }
    // Block comments may span lines: block state 1 = inside a comment.
    setCurrentBlockState(0);
    qsizetype start = previousBlockState() == 1 ? 0 : text.indexOf(QLatin1String("/*"));
    while (start >= 0) {
        const qsizetype end = text.indexOf(QLatin1String("*/"), start + (previousBlockState() == 1 && start == 0 ? 0 : 2));
        qsizetype length;
        if (end < 0) {
            setCurrentBlockState(1);
            length = text.length() - start;
        } else {
            length = end - start + 2;
        }
        setFormat(static_cast<int>(start), static_cast<int>(length), m_comment);
        start = text.indexOf(QLatin1String("/*"), start + length);
    }
}

CodeViewer::CodeViewer(QWidget* parent)
    : QPlainTextEdit(parent)
    , m_highlighter(new CSyntaxHighlighter(document()))
{
    setReadOnly(true);
    setLineWrapMode(QPlainTextEdit::NoWrap);
    QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    setFont(mono);
    setTabStopDistance(fontMetrics().horizontalAdvance(QLatin1Char(' ')) * 4);
    setPlaceholderText(tr("Select a sample to see its code."));
}

void CodeViewer::setCode(const QString& code)
{
    m_marked.clear();
    m_seenBegin = 0;
    m_seenEnd = -1;
    m_seenNote.clear();
    viewport()->setToolTip(QString());
    setPlainText(code);
}

void CodeViewer::setSeenRange(int begin, int end, const QString& note)
{
    m_seenBegin = std::max(0, begin);
    m_seenEnd = end;
    m_seenNote = note;
    viewport()->setToolTip(note);
    applySelections();
    viewport()->update();
}

void CodeViewer::applySelections()
{
    QList<QTextEdit::ExtraSelection> selections = m_marked;
    const int length = document()->characterCount() - 1;
    auto grey = [&](int from, int to) {
        if (to <= from)
            return;
        QTextEdit::ExtraSelection sel;
        sel.cursor = QTextCursor(document());
        sel.cursor.setPosition(from);
        sel.cursor.setPosition(std::min(to, length), QTextCursor::KeepAnchor);
        sel.format.setForeground(palette().color(QPalette::Disabled, QPalette::Text));
        sel.format.setBackground(palette().color(QPalette::AlternateBase));
        selections.append(sel);
    };
    if (m_seenEnd >= 0) {
        grey(0, m_seenBegin);
        grey(m_seenEnd, length);
    }
    setExtraSelections(selections);
}

void CodeViewer::paintEvent(QPaintEvent* event)
{
    QPlainTextEdit::paintEvent(event);
    if (m_seenEnd < 0)
        return;
    // A dashed line where the model's window ends (or, for a kept tail, begins), with the note.
    const int length = document()->characterCount() - 1;
    const bool cutEnd = m_seenEnd < length;
    QTextCursor at(document());
    at.setPosition(cutEnd ? m_seenEnd : m_seenBegin);
    const QRect r = cursorRect(at);
    QPainter painter(viewport());
    const QColor color(0xc6, 0x28, 0x28);
    painter.setPen(QPen(color, 1, Qt::DashLine));
    const int y = cutEnd ? r.bottom() + 1 : r.top();
    painter.drawLine(r.left(), y, viewport()->width(), y);
    painter.drawLine(r.left(), r.top(), r.left(), r.bottom());
    // A scissors at the line's right end; the note (the window's size) is the viewer's tooltip,
    // so no code is hidden under a label.
    const QFontMetrics fm(font());
    const QString mark = QStringLiteral("\u2702");
    const QRect box(viewport()->width() - fm.horizontalAdvance(mark) - 6, y - fm.height() / 2, fm.horizontalAdvance(mark) + 4,
                    fm.height());
    painter.fillRect(box, palette().color(QPalette::Base));
    painter.setPen(color);
    painter.drawText(box, Qt::AlignCenter, mark);
}

void CodeViewer::setMarkedLines(const QList<int>& lines, const QColor& color)
{
    QList<QTextEdit::ExtraSelection> selections;
    for (int line : lines) {
        const QTextBlock block = document()->findBlockByNumber(line);
        if (!block.isValid())
            continue;
        QTextEdit::ExtraSelection sel;
        sel.cursor = QTextCursor(block);
        sel.format.setBackground(color);
        sel.format.setProperty(QTextFormat::FullWidthSelection, true);
        selections.append(sel);
    }
    m_marked = selections;
    applySelections();
}

QList<int> CodeViewer::linesNotIn(const QString& code, const QString& other)
{
    QSet<QString> present;
    for (const QString& line : other.split(QLatin1Char('\n')))
        present.insert(line.trimmed());
    QList<int> out;
    const QStringList lines = code.split(QLatin1Char('\n'));
    for (int i = 0; i < lines.size(); ++i)
        if (!lines[i].trimmed().isEmpty() && !present.contains(lines[i].trimmed()))
            out.append(i);
    return out;
}

} // namespace headbench
