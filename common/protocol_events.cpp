// events.subscribe / events.unsubscribe and the "event" notification.
#include "protocol.h"
#include "protocol_json.h"

namespace bb::proto {

using namespace detail;

void to_json(json& j, const SubscribeParams& p) {
  j = json::object();
  if (!p.task_ids.empty()) j["task_ids"] = p.task_ids;
  if (p.all) j["all"] = true;
  if (p.output) j["output"] = true;
}
void from_json(const json& j, SubscribeParams& p) {
  Obj o = Obj::top(j, "params");
  p.task_ids = id_list(o, "task_ids", kMaxSubscribedTasks, false);
  p.all = false;
  if (o.find("all") != nullptr) p.all = o.boolean("all");
  p.output = false;
  if (o.find("output") != nullptr) p.output = o.boolean("output");
}

void to_json(json& j, const SubscribeResult& r) {
  j = json{{"tasks", r.tasks}, {"all", r.all}, {"output", r.output}};
}
void from_json(const json& j, SubscribeResult& r) {
  Obj o = Obj::top(j, "result", false);
  r.tasks = o.uint("tasks");
  r.all = o.boolean("all");
  r.output = o.boolean("output");
}

void to_json(json& j, const Event& e) {
  j = json{{"kind", e.kind}};
  put_opt(j, "task", e.task);
  put_opt(j, "task_id", e.task_id);
  put_opt(j, "output_bytes", e.output_bytes);
}
void from_json(const json& j, Event& e) {
  Obj o = Obj::top(j, "params", false);
  e.kind = o.string("kind");
  e.task.reset();
  if (const json* t = o.find("task")) {
    TaskView v;
    read_task_view(Obj::nested(*t, "task"), v);
    e.task = v;
  }
  e.task_id = o.opt_string("task_id");
  e.output_bytes = o.opt_uint("output_bytes");
}

}  // namespace bb::proto
