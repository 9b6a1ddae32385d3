// The streaming thread: frames reach adopted sockets verbatim and in order, nothing queued
// before the hand-over is lost, idle sockets get heartbeats, slow ones are dropped, closed
// ones are noticed, and a drain ends every stream with retry: and the final chunk.
// Topic slots are declared before the streamer: they must outlive it (its contract).
#include "hub/streamer.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "socket_reader.hpp"

using namespace ssekit;
using namespace std::chrono_literals;
using test_support::read_until;
using test_support::Received;
using test_support::SocketPair;
using test_support::wait_for;

namespace {

FramePtr event_frame(std::uint64_t seq, std::string data = "x") {
    Event e;
    e.id = "id-" + std::to_string(seq);
    e.data = std::move(data);
    FramePtr f;
    EXPECT_TRUE(make_frame(seq, "t", e, f));
    return f;
}

StreamerLimits quiet_limits() {
    StreamerLimits l;
    l.heartbeat = 0ms;
    return l;
}

auto has_ids(std::size_t n) {
    return [n](const Received &r) { return r.ids().size() >= n; };
}

}  // namespace

TEST(Streamer, WritesEachFrameVerbatimAndInOrder) {
    TopicSlot topic;
    Streamer st(quiet_limits(), Logger("test"));
    SocketPair sp;
    st.post_join(1, {&topic});
    st.post_activate(1, sp.server);
    std::string expected;
    for (std::uint64_t s = 1; s <= 100; ++s) {
        auto f = event_frame(s);
        expected += f->chunk;
        st.post_frame(topic, f);
    }
    Received r;
    ASSERT_TRUE(read_until(sp.client, r, [&](const Received &x) { return x.raw.size() >= expected.size(); }));
    EXPECT_EQ(r.raw, expected);
    EXPECT_FALSE(r.framing_error);
    // Counted once written: the reader may see the bytes a moment before the count moves.
    EXPECT_TRUE(wait_for([&] { return st.delivered() == 100u; })) << st.delivered();
}

TEST(Streamer, QueuesFramesForAJoinedTicketUntilItsSocketArrives) {
    TopicSlot topic;
    Streamer st(quiet_limits(), Logger("test"));
    SocketPair sp;
    st.post_frame(topic, event_frame(1));  // before the join: not for this subscriber
    st.post_join(7, {&topic});
    st.post_frame(topic, event_frame(2));
    st.post_frame(topic, event_frame(3));
    EXPECT_EQ(st.subscribers(), 1u);
    EXPECT_EQ(topic.subscribers.load(), 1u);
    st.post_activate(7, sp.server);
    st.post_frame(topic, event_frame(4));
    Received r;
    ASSERT_TRUE(read_until(sp.client, r, has_ids(3)));
    EXPECT_EQ(r.ids(), (std::vector<std::string>{"id-2", "id-3", "id-4"}));
}

TEST(Streamer, ASubscriberOfSeveralTopicsGetsTheirFramesInPostOrder) {
    TopicSlot a, b, c;
    Streamer st(quiet_limits(), Logger("test"));
    SocketPair sp;
    st.post_join(1, {&a, &b});
    st.post_activate(1, sp.server);
    st.post_frame(a, event_frame(1));
    st.post_frame(c, event_frame(2));
    st.post_frame(b, event_frame(3));
    st.post_frame(a, event_frame(4));
    Received r;
    ASSERT_TRUE(read_until(sp.client, r, has_ids(3)));
    EXPECT_EQ(r.ids(), (std::vector<std::string>{"id-1", "id-3", "id-4"}));
}

TEST(Streamer, ClosesTheSocketOfAnUnknownTicket) {
    Streamer st(quiet_limits(), Logger("test"));
    SocketPair sp;
    st.post_activate(99, sp.server);
    Received r;
    read_until(sp.client, r, [](const Received &) { return false; }, 5s);
    EXPECT_TRUE(r.eof);
    EXPECT_TRUE(r.raw.empty());
}

TEST(Streamer, CancelDropsTheSubscriberAndClosesItsSocket) {
    TopicSlot topic;
    Streamer st(quiet_limits(), Logger("test"));
    SocketPair sp;
    st.post_join(1, {&topic});
    st.post_activate(1, sp.server);
    st.post_cancel(1);
    Received r;
    read_until(sp.client, r, [](const Received &) { return false; }, 5s);
    EXPECT_TRUE(r.eof);
    EXPECT_TRUE(wait_for([&] { return st.subscribers() == 0 && topic.subscribers == 0; }));
}

TEST(Streamer, NoticesWhenThePeerCloses) {
    TopicSlot topic;
    Streamer st(quiet_limits(), Logger("test"));
    auto sp = std::make_unique<SocketPair>();
    st.post_join(1, {&topic});
    st.post_activate(1, sp->server);
    st.post_frame(topic, event_frame(1));
    Received r;
    ASSERT_TRUE(read_until(sp->client, r, has_ids(1)));
    EXPECT_EQ(st.subscribers(), 1u);
    sp.reset();  // the client closes its end
    EXPECT_TRUE(wait_for([&] { return st.subscribers() == 0 && topic.subscribers == 0; }));
}

TEST(Streamer, IgnoresBytesTheSubscriberSends) {
    TopicSlot topic;
    Streamer st(quiet_limits(), Logger("test"));
    SocketPair sp;
    st.post_join(1, {&topic});
    st.post_activate(1, sp.server);
    ASSERT_EQ(::write(sp.client, "GET / HTTP/1.1\r\n\r\n", 18), 18);
    st.post_frame(topic, event_frame(1));
    Received r;
    ASSERT_TRUE(read_until(sp.client, r, has_ids(1)));
    EXPECT_EQ(st.subscribers(), 1u);
}

TEST(Streamer, SendsHeartbeatsToIdleSubscribers) {
    StreamerLimits l;
    l.heartbeat = 50ms;
    TopicSlot topic;
    Streamer st(l, Logger("test"));
    SocketPair sp;
    st.post_join(1, {&topic});
    st.post_activate(1, sp.server);
    Received r;
    EXPECT_TRUE(read_until(sp.client, r, [](const Received &x) { return x.count_blocks(":") >= 3; }));
    EXPECT_FALSE(r.framing_error);
}

TEST(Streamer, DropsASlowConsumerAndKeepsServingTheOthers) {
    StreamerLimits l = quiet_limits();
    l.max_backlog_bytes = 64 * 1024;
    l.drop_grace = 60s;  // the slow one reads only at the end
    TopicSlot topic;
    Streamer st(l, Logger("test"));
    SocketPair slow, fast;
    st.post_join(1, {&topic});
    st.post_join(2, {&topic});
    st.post_activate(1, slow.server);
    st.post_activate(2, fast.server);
    // Far more than the slow socket's buffer plus the backlog limit.
    const std::string payload(4000, 'p');
    const std::size_t total = 2000;
    Received r;
    for (std::uint64_t s = 1; s <= total; ++s) {
        st.post_frame(topic, event_frame(s, payload));
        if (s % 8 == 0) read_until(fast.client, r, has_ids(s), 10s);  // the fast one keeps up
    }
    ASSERT_TRUE(read_until(fast.client, r, has_ids(total), 20s));
    EXPECT_EQ(r.ids().size(), total);
    EXPECT_EQ(r.ids().back(), "id-" + std::to_string(total));
    // Dropped: out of its topic at once, its connection open only until the notice is out.
    EXPECT_TRUE(wait_for([&] { return st.slow_consumers_dropped() == 1 && topic.subscribers == 1; }));
    // The slow one reads what was buffered, then why, then the end; then the socket closes.
    Received s;
    read_until(slow.client, s, [](const Received &) { return false; }, 10s);
    EXPECT_TRUE(s.eof);
    EXPECT_FALSE(s.framing_error);
    EXPECT_TRUE(s.last_chunk);
    ASSERT_FALSE(s.blocks().empty());
    EXPECT_EQ(s.blocks().back(), ": slow consumer, resume with Last-Event-ID");
    EXPECT_LT(s.ids().size(), total);
    EXPECT_TRUE(wait_for([&] { return st.subscribers() == 1; }));
    EXPECT_EQ(st.slow_consumers_dropped(), 1u);
}

namespace {

// Posts frames of `payload` to `topic` until the streamer drops a subscriber as slow (none of
// them read); returns how many were posted.
std::uint64_t post_until_dropped(Streamer &st, TopicSlot &topic, const std::string &payload) {
    std::uint64_t posted = 0;
    while (st.slow_consumers_dropped() == 0 && posted < 20000) {
        for (int i = 0; i < 16; ++i) st.post_frame(topic, event_frame(++posted, payload));
        wait_for([&] { return st.inbox_size() == 0; });
    }
    return posted;
}

constexpr std::string_view kSlowNotice = ": slow consumer, resume with Last-Event-ID";

}  // namespace

// The notice was promised and never came (the old drop closed at once, its socket full). Now
// what is not yet begun is forgotten, the frame begun is finished, and the notice and the last
// chunk wait for the peer: one that reads again sees whole events, why, a clean end, EOF.
TEST(Streamer, ASlowConsumerThatReadsAgainSeesWholeEventsThenTheNoticeThenTheEnd) {
    StreamerLimits l = quiet_limits();
    l.max_backlog_bytes = 64 * 1024;
    l.drop_grace = 60s;  // this test reads when it likes
    TopicSlot topic;
    Streamer st(l, Logger("test"));
    SocketPair sp;
    st.post_join(1, {&topic});
    st.post_activate(1, sp.server);
    std::uint64_t posted = post_until_dropped(st, topic, std::string(4000, 'p'));
    ASSERT_EQ(st.slow_consumers_dropped(), 1u);
    EXPECT_EQ(topic.subscribers, 0u);  // out of its topics: later events are not for it
    EXPECT_EQ(st.subscribers(), 1u);   // its connection is still there, for the notice
    st.post_frame(topic, event_frame(posted + 1));

    Received r;
    read_until(sp.client, r, [](const Received &) { return false; }, 10s);
    EXPECT_TRUE(r.eof);
    EXPECT_FALSE(r.framing_error) << "cut inside a chunk";
    EXPECT_TRUE(r.last_chunk);
    auto blocks = r.blocks();
    ASSERT_FALSE(blocks.empty());
    EXPECT_EQ(blocks.back(), kSlowNotice);
    EXPECT_EQ(r.count_blocks(kSlowNotice), 1u);
    auto ids = r.ids();
    ASSERT_FALSE(ids.empty());
    EXPECT_LT(ids.size(), posted);
    for (std::size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(ids[i], "id-" + std::to_string(i + 1));  // a prefix, whole
    // Delivered: the events whose bytes were all written, which are exactly those read.
    EXPECT_EQ(st.delivered(), ids.size());
    EXPECT_TRUE(wait_for([&] { return st.subscribers() == 0; }));
    EXPECT_EQ(st.slow_consumers_dropped(), 1u);  // counted once
}

// Best effort: a peer that never reads again cannot be told; it is closed after the grace,
// and what it had not taken is not counted as delivered.
TEST(Streamer, ASlowConsumerThatNeverReadsAgainIsClosedAfterTheGrace) {
    StreamerLimits l = quiet_limits();
    l.max_backlog_bytes = 64 * 1024;
    l.drop_grace = 50ms;
    l.adopt_timeout = 20ms;  // a 10 ms tick
    TopicSlot topic;
    Streamer st(l, Logger("test"));
    SocketPair sp;
    st.post_join(1, {&topic});
    st.post_activate(1, sp.server);
    std::uint64_t posted = post_until_dropped(st, topic, std::string(4000, 'p'));
    ASSERT_EQ(st.slow_consumers_dropped(), 1u);
    EXPECT_TRUE(wait_for([&] { return st.subscribers() == 0; }, 5s)) << "still open after the grace";
    Received r;
    read_until(sp.client, r, [](const Received &) { return false; }, 10s);
    EXPECT_TRUE(r.eof);
    EXPECT_LT(r.ids().size(), posted);
    EXPECT_EQ(st.delivered(), r.ids().size());
    EXPECT_EQ(st.slow_consumers_dropped(), 1u);
}

TEST(Streamer, DeliveredCountsEventsWrittenNotEventsQueued) {
    StreamerLimits l = quiet_limits();
    l.max_backlog_bytes = 256u << 20;  // never dropped here
    TopicSlot topic;
    Streamer st(l, Logger("test"));
    SocketPair sp;
    st.post_join(1, {&topic});
    st.post_activate(1, sp.server);
    const std::size_t total = 100;  // 6.4 MB: far more than a socket buffer holds
    for (std::uint64_t s = 1; s <= total; ++s) st.post_frame(topic, event_frame(s, std::string(64 * 1024, 'd')));
    ASSERT_TRUE(wait_for([&] { return st.inbox_size() == 0; }));
    std::this_thread::sleep_for(50ms);
    EXPECT_LT(st.delivered(), total) << "queued frames were counted as delivered";
    Received r;
    ASSERT_TRUE(read_until(sp.client, r, has_ids(total), 20s));
    EXPECT_TRUE(wait_for([&] { return st.delivered() == total; })) << st.delivered();
}

TEST(Streamer, DropsATicketNeverAdopted) {
    StreamerLimits l = quiet_limits();
    l.adopt_timeout = 50ms;
    TopicSlot topic;
    Streamer st(l, Logger("test"));
    st.post_join(1, {&topic});
    EXPECT_EQ(st.subscribers(), 1u);
    EXPECT_TRUE(wait_for([&] { return st.subscribers() == 0 && topic.subscribers == 0; }));
}

TEST(Streamer, DrainSendsRetryAndTheFinalChunkThenCloses) {
    TopicSlot topic;
    Streamer st(quiet_limits(), Logger("test"));
    SocketPair sp;
    st.post_join(1, {&topic});
    st.post_activate(1, sp.server);
    st.post_frame(topic, event_frame(1));
    st.post_drain(2000ms, 500ms);
    Received r;
    read_until(sp.client, r, [](const Received &x) { return x.last_chunk && x.eof; });
    ASSERT_TRUE(r.last_chunk);
    EXPECT_TRUE(r.eof);
    EXPECT_FALSE(r.framing_error);
    auto blocks = r.blocks();
    ASSERT_EQ(blocks.size(), 2u);
    EXPECT_EQ(r.ids(), std::vector<std::string>{"id-1"});
    ASSERT_EQ(blocks[1].rfind("retry: ", 0), 0u) << blocks[1];
    int ms = std::stoi(blocks[1].substr(7));
    EXPECT_GE(ms, 2000);
    EXPECT_LE(ms, 2500);
    EXPECT_TRUE(wait_for([&] { return st.subscribers() == 0; }));
}

TEST(Streamer, ASocketAdoptedAfterADrainIsEndedAtOnce) {
    TopicSlot topic;
    Streamer st(quiet_limits(), Logger("test"));
    SocketPair sp;
    st.post_join(1, {&topic});
    st.post_drain(100ms, 0ms);
    st.post_activate(1, sp.server);
    Received r;
    read_until(sp.client, r, [](const Received &x) { return x.last_chunk && x.eof; });
    EXPECT_TRUE(r.last_chunk);
    EXPECT_EQ(r.count_blocks("retry: 100"), 1u);
}

namespace {

// A loopback TCP connection: {accepted end, client end}, or {-1, -1}.
std::pair<int, int> tcp_pair() {
    int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener < 0) return {-1, -1};
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    int client = -1, server = -1;
    if (::bind(listener, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0 && ::listen(listener, 1) == 0 &&
        ::getsockname(listener, reinterpret_cast<sockaddr *>(&addr), &len) == 0) {
        client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (client >= 0 && ::connect(client, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0)
            server = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    }
    ::close(listener);
    if (server < 0 && client >= 0) ::close(client);
    return server < 0 ? std::pair{-1, -1} : std::pair{server, client};
}

int int_option(int fd, int level, int name) {
    int v = -1;
    socklen_t len = sizeof v;
    return ::getsockopt(fd, level, name, &v, &len) == 0 ? v : -1;
}

}  // namespace

TEST(Streamer, TurnsOffNagleOnTcpSockets) {
    auto [server, client] = tcp_pair();
    ASSERT_GE(server, 0);
    TopicSlot topic;
    Streamer st(quiet_limits(), Logger("test"));
    st.post_join(1, {&topic});
    st.post_activate(1, server);
    st.post_frame(topic, event_frame(1));
    Received r;
    EXPECT_TRUE(read_until(client, r, has_ids(1)));
    // The streamer still owns `server` (the subscriber is live), so the number is valid.
    EXPECT_NE(int_option(server, IPPROTO_TCP, TCP_NODELAY), 0);
    ::close(client);
}

// --peer-timeout: a peer gone without a FIN is given up on once nothing is acknowledged for
// that long (TCP_USER_TIMEOUT), and an idle stream is probed from half of it on (keep-alive)
// so that it has something to acknowledge; 0 leaves the kernel's defaults.
TEST(Streamer, GivesEachTcpSubscriberThePeerTimeout) {
    struct Case {
        std::chrono::milliseconds timeout;
        int user_timeout_ms, keepalive, idle_s, interval_s;
    };
    for (Case c : {Case{60s, 60000, 1, 30, 10}, Case{4500ms, 4500, 1, 3, 1}, Case{0ms, 0, 0, -1, -1}}) {
        auto [server, client] = tcp_pair();
        ASSERT_GE(server, 0);
        StreamerLimits l = quiet_limits();
        l.peer_timeout = c.timeout;
        TopicSlot topic;
        Streamer st(l, Logger("test"));
        st.post_join(1, {&topic});
        st.post_activate(1, server);
        st.post_frame(topic, event_frame(1));
        Received r;
        EXPECT_TRUE(read_until(client, r, has_ids(1)));
        const auto ms = c.timeout.count();
        EXPECT_EQ(int_option(server, IPPROTO_TCP, TCP_USER_TIMEOUT), c.user_timeout_ms) << ms;
        EXPECT_EQ(int_option(server, SOL_SOCKET, SO_KEEPALIVE), c.keepalive) << ms;
        if (c.keepalive) {
            EXPECT_EQ(int_option(server, IPPROTO_TCP, TCP_KEEPIDLE), c.idle_s) << ms;
            EXPECT_EQ(int_option(server, IPPROTO_TCP, TCP_KEEPINTVL), c.interval_s) << ms;
        }
        ::close(client);
    }
}

// A loop of the test's own drives the streamer, as a FrontDoor loop does, and publishes too:
// its posts are owed to its own turn, no eventfd. Publishers on other threads post frames,
// most signalled after the lock and some plainly, under one lock that assigns seqs and orders
// joins, as the hub does. Meanwhile subscribers join, are adopted, read a while and leave
// (cancelled, peer closed, or cancelled before adoption). At the end the loop detaches and
// the streamer goes on alone. Each subscriber receives exactly the frames posted after its
// join, in order and byte for byte: those still there at the end all of them, those that
// left a prefix.
TEST(Streamer, PublishersOnTheLoopAndOffItKeepEverySubscribersFramesCompleteAndInOrder) {
    TopicSlot topic;
    StreamerLimits l = quiet_limits();
    l.max_backlog_bytes = 256u << 20;  // stayers read only at the end
    Streamer st(l, Logger("test"), Streamer::Driven{});

    std::mutex order;                   // the hub's lock
    std::vector<FramePtr> posted{{}};   // by seq, from 1; guarded by `order`
    std::atomic<bool> churn_done{false};
    // The bytes of the frames from seq `first` on (all posted so far), as a subscriber gets them.
    auto bytes_from = [&](std::uint64_t first) {
        std::lock_guard lock(order);
        std::string out;
        for (std::uint64_t s = first; s < posted.size(); ++s) out += posted[s]->chunk;
        return out;
    };

    constexpr int stayers = 3;
    std::vector<std::unique_ptr<SocketPair>> stay;
    for (int i = 0; i < stayers; ++i) {
        stay.push_back(std::make_unique<SocketPair>());
        std::lock_guard lock(order);
        st.post_join(100 + i, {&topic});
        st.post_activate(100 + i, stay.back()->server);
    }

    auto publish = [&](int who) {
        // At least 400 frames each, and on until the churn is over; a short pause now and then
        // keeps the total small while the churn goes on.
        for (int i = 0; i < 400 || !churn_done; ++i) {
            if (i % 8 == 7) std::this_thread::sleep_for(1ms);
            if ((i + who) % 4 == 0) {
                std::lock_guard lock(order);
                posted.push_back(event_frame(posted.size()));
                st.post_frame(topic, posted.back());
            } else {
                bool owed;  // signalled after the lock, as in the hub
                {
                    std::lock_guard lock(order);
                    posted.push_back(event_frame(posted.size()));
                    owed = st.post_frame_unsignalled(topic, posted.back());
                }
                if (owed) st.signal();
            }
        }
    };
    std::vector<std::thread> publishers;
    for (int p = 0; p < 3; ++p) publishers.emplace_back(publish, p);
    std::atomic<bool> loop_stop{false};
    std::thread loop([&] {
        st.attach();
        for (int i = 0; !loop_stop; ++i) {
            pollfd p{st.poll_fd(), POLLIN, 0};
            bool ready = ::poll(&p, 1, 1) > 0;
            if (i % 2 == 0 && !churn_done) {
                std::lock_guard lock(order);
                posted.push_back(event_frame(posted.size()));
                st.post_frame(topic, posted.back());  // owed to the turn below
            }
            st.turn(ready);
        }
        st.detach();
    });

    int read_some = 0;
    for (std::uint64_t ticket = 1; ticket <= 30; ++ticket) {
        auto sp = std::make_unique<SocketPair>();
        std::uint64_t first;
        {
            std::lock_guard lock(order);
            first = posted.size();
            st.post_join(ticket, {&topic});
        }
        if (ticket % 3 == 0) {
            // Gone before its socket arrives: the socket is closed unwritten.
            st.post_cancel(ticket);
            st.post_activate(ticket, sp->server);
            Received r;
            read_until(sp->client, r, [](const Received &) { return false; }, 5s);
            EXPECT_TRUE(r.eof) << "ticket " << ticket;
            EXPECT_TRUE(r.raw.empty()) << "ticket " << ticket;
            continue;
        }
        st.post_activate(ticket, sp->server);
        Received r;
        EXPECT_TRUE(read_until(sp->client, r, has_ids(5))) << "ticket " << ticket;
        if (ticket % 3 == 1)
            st.post_cancel(ticket);
        else
            sp.reset();  // the peer closes
        if (sp) read_until(sp->client, r, [](const Received &) { return false; }, 5s);
        std::string want = bytes_from(first);
        ASSERT_LE(r.raw.size(), want.size()) << "ticket " << ticket;
        EXPECT_EQ(r.raw, want.substr(0, r.raw.size())) << "ticket " << ticket << " joined before seq " << first;
        read_some += r.ids().size() >= 5;
    }
    churn_done = true;
    for (auto &t : publishers) t.join();
    loop_stop = true;
    loop.join();
    EXPECT_EQ(read_some, 20);

    std::string want = bytes_from(1);
    for (int i = 0; i < stayers; ++i) {
        Received r;
        EXPECT_TRUE(read_until(stay[i]->client, r, [&](const Received &x) { return x.raw.size() >= want.size(); }));
        EXPECT_EQ(r.raw.size(), want.size()) << "stayer " << i;
        EXPECT_TRUE(r.raw == want) << "stayer " << i << ": frames missing, repeated or out of order";
    }
    EXPECT_TRUE(wait_for([&] { return st.subscribers() == stayers && topic.subscribers == stayers; }));
}
