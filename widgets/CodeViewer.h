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

private:
    CSyntaxHighlighter* m_highlighter;
};

} // namespace headbench
