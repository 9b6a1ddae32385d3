// A note on libcurl handles.
//
// Owning pointers for what libcurl hands out, so sse-pub's HTTP sink and sse-tail's stream
// client free them the same way: an easy handle, a multi handle, a header list, a parsed URL,
// and a string libcurl allocated (curl_easy_escape, curl_url_get). Move-only, as unique_ptr;
// not thread-safe.
#pragma once

#include <curl/curl.h>

#include <memory>

namespace ssekit {

struct CurlEasyFree {
    void operator()(CURL *e) const { curl_easy_cleanup(e); }
};
struct CurlMultiFree {
    void operator()(CURLM *m) const { curl_multi_cleanup(m); }
};
struct CurlSlistFree {
    void operator()(curl_slist *l) const { curl_slist_free_all(l); }
};
struct CurlUrlFree {
    void operator()(CURLU *u) const { curl_url_cleanup(u); }
};
struct CurlStringFree {
    void operator()(char *p) const { curl_free(p); }
};

using CurlEasyPtr = std::unique_ptr<CURL, CurlEasyFree>;
using CurlMultiPtr = std::unique_ptr<CURLM, CurlMultiFree>;
using CurlSlistPtr = std::unique_ptr<curl_slist, CurlSlistFree>;
using CurlUrlPtr = std::unique_ptr<CURLU, CurlUrlFree>;
using CurlStringPtr = std::unique_ptr<char, CurlStringFree>;

}  // namespace ssekit
