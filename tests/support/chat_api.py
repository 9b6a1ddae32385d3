"""A mock streaming chat API for sse-tail's end-to-end tests, after OpenAI's
`POST /v1/chat/completions` with "stream": true: it reads the JSON body it is sent and answers
with one `data: {chunk}` event per word of the last message, then `data: [DONE]`.

    with ScriptedSseServer([chat_completion()]) as srv:
        ... sse-tail --json '{"messages": ...}' -H "Authorization: Bearer sk-test" srv.url() ...

A request without `Authorization: Bearer <key>` gets 401 with OpenAI's pretty-printed JSON
error; one that is not a POST of a JSON chat request gets 400, also with a JSON error.
"""
import json

from scripted_sse import close, send, status

KEY = "sk-test"


def error(code, reason, message, kind):
    body = json.dumps({"error": {"message": message, "type": kind, "param": None, "code": None}}, indent=4)
    return [status(code, reason, content_type="application/json"), send(body + "\n"), close()]


def chunk(content):
    return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "mock",
            "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": None}]}


def chat_completion(key=KEY, then=None):
    """A script (a function of the request) for one connection; `then` follows [DONE]
    (default: close), e.g. hang() to prove that the client stops by itself."""
    def answer(request):
        if request.headers.get("authorization") != f"Bearer {key}":
            return error(401, "Unauthorized", "Incorrect API key provided.", "invalid_request_error")
        try:
            body = json.loads(request.body)
            words = body["messages"][-1]["content"].split()
        except (ValueError, KeyError, IndexError, TypeError):
            return error(400, "Bad Request", "We could not parse the JSON body of your request.",
                         "invalid_request_error")
        if request.method != "POST" or request.headers.get("content-type") != "application/json":
            return error(400, "Bad Request", "Send a POST with Content-Type: application/json.",
                         "invalid_request_error")
        events = "".join(f"data: {json.dumps(chunk(w + ' '))}\n\n" for w in words)
        return [status(), send(events), send("data: [DONE]\n\n"), then or close()]
    return answer
