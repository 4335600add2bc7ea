/*
 * glibc's malloc_trim(0) for Node: hands the free pages of every malloc arena back to the OS (src/main/malloc-trim.ts).
 * glibc keeps memory a loaded process freed (request frames, compiler zones, many small native allocations) and
 * returns only the top of its main heap by itself; malloc_trim also releases whole free pages inside the heap and the
 * other arenas (glibc >= 2.8). `trim()` runs it on the libuv thread pool and resolves to whether anything was
 * released, so the event loop never waits on it. Built by scripts/build-native.mjs; no dependency but Node's headers.
 */
#include <malloc.h>
#include <node_api.h>
#include <stdlib.h>

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  int released;
} TrimWork;

static void execute(napi_env env, void *data) {
  (void)env;
  TrimWork *t = (TrimWork *)data;
  t->released = malloc_trim(0);
}

static void complete(napi_env env, napi_status status, void *data) {
  TrimWork *t = (TrimWork *)data;
  napi_value result;
  napi_get_boolean(env, status == napi_ok && t->released != 0, &result);
  napi_resolve_deferred(env, t->deferred, result);
  napi_delete_async_work(env, t->work);
  free(t);
}

static napi_value trim(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value promise;
  napi_value name;
  TrimWork *t = (TrimWork *)calloc(1, sizeof(TrimWork));
  if (t == NULL) {
    napi_throw_error(env, NULL, "malloc_trim: out of memory");
    return NULL;
  }
  if (napi_create_promise(env, &t->deferred, &promise) != napi_ok ||
      napi_create_string_utf8(env, "agenttail.malloc_trim", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, execute, complete, t, &t->work) != napi_ok ||
      napi_queue_async_work(env, t->work) != napi_ok) {
    free(t);
    napi_throw_error(env, NULL, "malloc_trim: could not queue the work");
    return NULL;
  }
  return promise;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "trim", NAPI_AUTO_LENGTH, trim, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "trim", fn) != napi_ok) return NULL;
  return exports;
}
