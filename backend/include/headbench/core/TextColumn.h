#pragma once
/// \file TextColumn.h
/// A column of strings (one per row: a feature file's code texts) whose copies share one
/// vector until one of them is changed. The window shows the texts of the loaded file beside
/// each run's samples: on 150,000 functions a deep copy was ~40 MB more at the peak, and
/// sharing the whole loaded file instead kept its matrix alive after a re-open.
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace headbench {

class TextColumn {
public:
    using value_type = std::string;
    using const_iterator = std::vector<std::string>::const_iterator;

    TextColumn() = default;
    TextColumn(std::vector<std::string> texts) : m_texts(std::make_shared<std::vector<std::string>>(std::move(texts))) {}
    TextColumn(std::initializer_list<std::string> texts) : TextColumn(std::vector<std::string>(texts)) {}
    TextColumn& operator=(std::vector<std::string> texts)
    {
        m_texts = std::make_shared<std::vector<std::string>>(std::move(texts));
        return *this;
    }
    TextColumn& operator=(std::initializer_list<std::string> texts) { return *this = std::vector<std::string>(texts); }

    // Reading: no copy.
    std::size_t size() const { return m_texts ? m_texts->size() : 0; }
    bool empty() const { return size() == 0; }
    const std::string& operator[](std::size_t i) const { return (*m_texts)[i]; }
    const std::string& front() const { return m_texts->front(); }
    const std::string& back() const { return m_texts->back(); }
    const_iterator begin() const { return view().begin(); }
    const_iterator end() const { return view().end(); }
    /// The strings as a vector (an empty one when there are none).
    const std::vector<std::string>& view() const
    {
        static const std::vector<std::string> none;
        return m_texts ? *m_texts : none;
    }
    /// Whether two columns share one vector (a copy that was not changed since).
    bool sharesWith(const TextColumn& other) const { return m_texts && m_texts == other.m_texts; }

    // Changing: the first change of a shared column copies it (the others keep theirs). There
    // is no non-const operator[]: a read through a non-const column would copy a shared one.
    void set(std::size_t i, std::string text) { mutableTexts()[i] = std::move(text); }
    void push_back(std::string text) { mutableTexts().push_back(std::move(text)); }
    void resize(std::size_t n) { mutableTexts().resize(n); }
    void reserve(std::size_t n) { mutableTexts().reserve(n); }
    void assign(std::size_t n, const std::string& text) { mutableTexts().assign(n, text); }
    void clear() { m_texts.reset(); }

    friend bool operator==(const TextColumn& a, const TextColumn& b) { return a.view() == b.view(); }
    friend bool operator==(const TextColumn& a, const std::vector<std::string>& b) { return a.view() == b; }

private:
    std::vector<std::string>& mutableTexts()
    {
        if (!m_texts)
            m_texts = std::make_shared<std::vector<std::string>>();
        else if (m_texts.use_count() > 1)
            m_texts = std::make_shared<std::vector<std::string>>(*m_texts);
        return *m_texts;
    }

    std::shared_ptr<std::vector<std::string>> m_texts;
};

} // namespace headbench
