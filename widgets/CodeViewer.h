#pragma once
/// \file CodeViewer.h
#include <QPlainTextEdit>
#include <QSyntaxHighlighter>
#include <QRegularExpression>

namespace headbench {

/// C/C++ syntax highlighting: keywords, types, preprocessor lines, strings and characters,
/// numbers, comments (also across lines), and the calls most weaknesses involve.
class CSyntaxHighlighter : public QSyntaxHighlighter {
    Q_OBJECT
public:
    explicit CSyntaxHighlighter(QTextDocument* document);

protected:
    void highlightBlock(const QString& text) override;

private:
    struct Rule {
        QRegularExpression pattern;
        QTextCharFormat format;
    };
    QList<Rule> m_rules;
    QTextCharFormat m_comment;
};

/// A read-only code view with line numbers off and a monospace font, highlighted as C.
class CodeViewer : public QPlainTextEdit {
    Q_OBJECT
public:
    explicit CodeViewer(QWidget* parent = nullptr);
    void setCode(const QString& code);
    /// Shades whole lines (0-based), e.g. the lines that differ from another function.
    void setMarkedLines(const QList<int>& lines, const QColor& color);
    /// Lines of `code` that do not occur in `other` (whitespace at either end ignored): what a
    /// fix changed, when the two are the versions before and after it.
    static QList<int> linesNotIn(const QString& code, const QString& other);
    /// What the model saw of the code: characters outside [begin, end) are greyed out and a
    /// marker line with `note` is drawn where the cut fell. begin 0 and end -1: all of it.
    void setSeenRange(int begin, int end, const QString& note = {});
    int seenBegin() const { return m_seenBegin; }
    int seenEnd() const { return m_seenEnd; }

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    void applySelections();

    CSyntaxHighlighter* m_highlighter;
    QList<QTextEdit::ExtraSelection> m_marked;
    int m_seenBegin = 0, m_seenEnd = -1;
    QString m_seenNote;
};

} // namespace headbench
