#pragma once
/// \file HelperThread.h
/// Private to the backend: one extra thread that runs a task on request, for the elementwise
/// work (optimiser steps) between the BLAS's GEMMs.
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace headbench {

/// One extra thread that runs a task on request; the caller waits for it. Sleeps (no spinning)
/// between tasks, so it never competes with the BLAS threads during the GEMMs.
class HelperThread {
public:
    explicit HelperThread(bool enabled)
    {
        if (enabled)
            m_thread = std::thread([this] { loop(); });
    }
    ~HelperThread()
    {
        if (m_thread.joinable()) {
            {
                std::lock_guard lock(m_mutex);
                m_quit = true;
            }
            m_cv.notify_all();
            m_thread.join();
        }
    }
    bool available() const { return m_thread.joinable(); }
    void run(std::function<void()> task)
    {
        {
            std::lock_guard lock(m_mutex);
            m_task = std::move(task);
            m_done = false;
        }
        m_cv.notify_all();
    }
    void wait()
    {
        std::unique_lock lock(m_mutex);
        m_cv.wait(lock, [this] { return m_done; });
    }

private:
    void loop()
    {
        std::unique_lock lock(m_mutex);
        while (true) {
            m_cv.wait(lock, [this] { return m_quit || m_task; });
            if (m_quit)
                return;
            auto task = std::move(m_task);
            m_task = nullptr;
            lock.unlock();
            task();
            lock.lock();
            m_done = true;
            m_cv.notify_all();
        }
    }

    std::thread m_thread;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::function<void()> m_task;
    bool m_done = true;
    bool m_quit = false;
};

} // namespace headbench
