// ftz-http-floor: the floor under the window's HTTP numbers on this machine.
// It answers every HTTP/1.1 request with the same CEB312 receipt and does
// nothing else: no decoding, no log, no engine, no framework (epoll, one
// recv per readiness, one send per answer). Driven by ftz-loadgen exactly as
// `ftzport serve` is, it shows what the load generator and the kernel's
// loopback TCP cost by themselves on the same two cores, so the window's
// documents/s can be read as a fraction of what the machine leaves
// (docs/performance.md, session 15). Not a server: it trusts its input.
//
//   ftz-http-floor PORT [THREADS]     (listens on 127.0.0.1, SO_REUSEPORT)
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

// The size of what the window answers to a one-order CEB311.
constexpr char kReceipt[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ceb:CEB312Message guid=\"6F1B3C2A-8E4D-4F5A-9B7C-0D1E2F3A4B5C\" version=\"1.0\" "
    "xmlns:ceb=\"http://www.chinaport.gov.cn/ceb\" "
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><ceb:OrderReturn>"
    "<ceb:guid>6F1B3C2A-8E4D-4F5A-9B7C-0D1E2F3A4B5D</ceb:guid><ceb:ebpCode>3301960002</ceb:ebpCode>"
    "<ceb:ebcCode>3301960002</ceb:ebcCode><ceb:orderNo>ab00000000000001</ceb:orderNo>"
    "<ceb:returnStatus>2</ceb:returnStatus><ceb:returnTime>20261127120000000</ceb:returnTime>"
    "<ceb:returnInfo>新增申报成功[6F1B3C2A-8E4D-4F5A-9B7C-0D1E2F3A4B5C]</ceb:returnInfo>"
    "</ceb:OrderReturn></ceb:CEB312Message>";

struct Connection {
  int fd;
  std::string in;
};

void Serve(int port, const std::string& answer) {
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  const int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(listener, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listener, 1024) != 0) {
    std::perror("ftz-http-floor: bind/listen");
    std::exit(1);
  }
  const int ep = epoll_create1(0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;  // the listener
  epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
  std::vector<epoll_event> ready(256);
  std::vector<char> buf(64 * 1024);
  for (;;) {
    const int n = epoll_wait(ep, ready.data(), static_cast<int>(ready.size()), -1);
    for (int i = 0; i < n; ++i) {
      auto* c = static_cast<Connection*>(ready[i].data.ptr);
      if (c == nullptr) {
        for (int fd; (fd = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK)) >= 0;) {
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          epoll_event e{};
          e.events = EPOLLIN;
          e.data.ptr = new Connection{fd, {}};
          epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
        }
        continue;
      }
      const ssize_t got = recv(c->fd, buf.data(), buf.size(), 0);
      if (got <= 0) {
        close(c->fd);
        delete c;
        continue;
      }
      c->in.append(buf.data(), static_cast<size_t>(got));
      // Every whole request (head and Content-Length bytes of body) gets the answer.
      for (;;) {
        const size_t head = c->in.find("\r\n\r\n");
        if (head == std::string::npos) break;
        size_t body = 0;
        const size_t cl = c->in.find("Content-Length: ");
        if (cl != std::string::npos && cl < head) body = std::strtoul(&c->in[cl + 16], nullptr, 10);
        if (c->in.size() < head + 4 + body) break;
        c->in.erase(0, head + 4 + body);
        send(c->fd, answer.data(), answer.size(), MSG_NOSIGNAL);
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: ftz-http-floor PORT [THREADS]\n");
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const int threads = argc > 2 ? std::atoi(argv[2]) : 1;
  const std::string body = kReceipt;
  const std::string answer =
      "HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back(Serve, port, answer);
  Serve(port, answer);
}
