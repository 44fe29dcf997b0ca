// Checks proto/: the schema compiles (JSON Schema 2020-12, strict) and every example in
// proto/examples/ matches it: exchanges (a request and its response) and event notifications. The C++ side of the same examples is checked by
// tests/unit/protocol_test.cpp; together they keep the daemon, its clients and proto/ in step.
//
// Usage: node tests/proto/check_examples.mjs [repo root]
// Needs the root's node_modules (npm ci at the repository root). Exits 1 on any failure, after
// printing every one.

import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), "..", ".."));

let Ajv2020, addFormats;
try {
  ({ default: Ajv2020 } = await import("ajv/dist/2020.js"));
  ({ default: addFormats } = await import("ajv-formats"));
} catch (e) {
  console.error(`cannot load ajv / ajv-formats (${e.code ?? e.message}): run "npm ci" in ${root}`);
  process.exit(1);
}

const readJson = (path) => JSON.parse(readFileSync(path, "utf8"));
const schemaPath = join(root, "proto", "daemon.schema.json");
const examplesDir = join(root, "proto", "examples");
const schema = readJson(schemaPath);
const version = readJson(join(root, "proto", "version.json"));

// Strict about the schema (unknown keywords, loose types), except strictRequired: conditional
// "required" in if/then and not/oneOf branches is how the schema states its rules.
const ajv = new Ajv2020({
  strict: true,
  strictRequired: false,
  allErrors: true,
  allowUnionTypes: true,
});
addFormats(ajv);
ajv.addSchema(schema);
const id = schema.$id;
const validator = (def) => {
  const v = ajv.getSchema(`${id}#/$defs/${def}`);
  if (!v) throw new Error(`the schema has no $defs/${def}`);
  return v;
};

const failures = [];
let checks = 0;
const fail = (where, what) => failures.push(`${where}: ${what}`);
const check = (where, def, value) => {
  checks++;
  const v = validator(def);
  if (!v(value)) {
    const why = ajv.errorsText(v.errors, { separator: "\n    " });
    fail(where, `does not match $defs/${def}:\n    ${why}`);
  }
};
const mustNotMatch = (where, def, value, why) => {
  checks++;
  if (validator(def)(value)) fail(where, `matches $defs/${def}, but ${why}`);
};

const methods = schema.$defs.Method.enum;
const errorCodes = schema.$defs.ErrorCodes.enum;
const eventKinds = schema.$defs.EventKinds.enum;
const eventMethod = schema.$defs.EventNotification.properties.method.const;

// The schema itself: every method has params and result, versions agree.
for (const m of methods) {
  for (const part of ["params", "result"]) {
    if (!schema.$defs[`${m}.${part}`]) fail("daemon.schema.json", `no $defs/${m}.${part}`);
  }
}
if (!version.supported_versions?.includes(version.protocol_version)) {
  fail("version.json", "supported_versions does not include protocol_version");
}
if (schema.$defs["hello.params"].properties.protocol_version.$ref !== "#/$defs/ProtocolVersion") {
  fail("daemon.schema.json", "hello.params.protocol_version is not a ProtocolVersion");
}

// Task ids in examples look like the daemon's (common/os.cpp random_id: 10 characters of an
// alphabet without 0, 1, l and o), though to clients an id is any non-empty string.
const taskIdShape = /^[a-km-np-z2-9]{10}$/;
const idKeys = new Set(["task_id", "task_ids", "unknown_task_ids"]);
const checkTaskIds = (where, value) => {
  if (Array.isArray(value)) return value.forEach((v) => checkTaskIds(where, v));
  if (value === null || typeof value !== "object") return;
  for (const [k, v] of Object.entries(value)) {
    if (idKeys.has(k)) {
      for (const id of [v].flat()) {
        if (typeof id === "string" && !taskIdShape.test(id)) {
          fail(where, `task id ${JSON.stringify(id)} is not like the daemon's (10 of [a-km-np-z2-9])`);
        }
      }
    }
    checkTaskIds(where, v);
  }
};

// Errors the daemon answers before (or instead of) looking at the method's params: their
// request must be something the schema refuses. Every other example's request must be valid.
const envelopeErrors = new Set([-32700, -32600, -32601, -32602]);

const covered = { methods: new Set(), codes: new Set(), kinds: new Set() };
const files = readdirSync(examplesDir).filter((f) => f.endsWith(".json")).sort();
if (files.length === 0) fail("proto/examples", "no examples");

for (const file of files) {
  const where = `proto/examples/${file}`;
  let ex;
  try {
    ex = readJson(join(examplesDir, file));
  } catch (e) {
    fail(where, `not JSON: ${e.message}`);
    continue;
  }
  if (typeof ex.title !== "string" || !ex.title) fail(where, "no title");
  if (!("method" in ex)) fail(where, 'no "method" (a method name, or null for envelope errors)');
  checks++;
  checkTaskIds(where, ex);

  // An event the daemon pushes: a notification alone, no request and no response.
  if ("notification" in ex) {
    for (const k of ["request", "request_line", "request_description", "response"]) {
      if (k in ex) fail(where, `a notification example has no ${k}`);
    }
    if (ex.method !== eventMethod) fail(where, `"method" of a notification example must be ${eventMethod}`);
    check(`${where} notification`, "EventNotification", ex.notification);
    check(`${where} notification`, "Message", ex.notification);
    const kind = ex.notification?.params?.kind;
    covered.kinds.add(kind);
    if (!eventKinds.includes(kind)) fail(where, `event kind ${JSON.stringify(kind)} is not in $defs/EventKinds`);
    continue;
  }
  const requestForms = ["request", "request_line", "request_description"].filter((k) => k in ex);
  if (requestForms.length !== 1) {
    fail(where, "needs exactly one of request, request_line, request_description");
    continue;
  }
  if (!ex.response) {
    fail(where, "no response");
    continue;
  }

  check(`${where} response`, "Message", ex.response);
  const isError = "error" in ex.response;
  check(`${where} response`, isError ? "ErrorResponse" : "SuccessResponse", ex.response);
  const code = isError ? ex.response.error.code : undefined;
  if (isError) {
    covered.codes.add(code);
    if (!errorCodes.includes(code)) fail(where, `error code ${code} is not in $defs/ErrorCodes`);
  }

  if ("request_line" in ex) {
    checks++;
    let parsed;
    try {
      parsed = JSON.parse(ex.request_line);
    } catch {
      parsed = undefined;
    }
    if (parsed !== undefined) fail(where, "request_line is valid JSON: give it as request instead");
    if (code !== -32700) fail(where, "a request_line that is not JSON must get -32700");
    if (ex.response.id !== null) fail(where, "the response to an unreadable line has id null");
    continue;
  }
  if ("request_description" in ex) {
    if (ex.response.id !== null) fail(where, "the response to an unread line has id null");
    continue;
  }

  const req = ex.request;
  if (isError && envelopeErrors.has(code)) {
    mustNotMatch(`${where} request`, "Request", req, `the daemon answers it with ${code}`);
  } else {
    check(`${where} request`, "Request", req);
    check(`${where} request`, "Message", req);
  }
  const reqId = req && typeof req === "object" && !Array.isArray(req) ? req.id : undefined;
  const expectedId = reqId === undefined ? null : reqId;
  if (ex.response.id !== expectedId) {
    const [got, want] = [ex.response.id, expectedId].map((x) => JSON.stringify(x));
    fail(where, `response id ${got} is not the request's ${want}`);
  }
  if (ex.method !== null && req?.method !== ex.method && code !== -32601) {
    fail(where, `"method" says ${ex.method} but the request calls ${req?.method}`);
  }
  if (!isError) {
    if (!methods.includes(req.method)) {
      fail(where, `success for unknown method ${req.method}`);
      continue;
    }
    covered.methods.add(req.method);
    check(`${where} result`, `${req.method}.result`, ex.response.result);
  }
}

// Coverage: a success example for every method, an example for every error code and one for
// every kind of event.
for (const m of methods) {
  if (!covered.methods.has(m)) fail("proto/examples", `no successful example of ${m}`);
}
for (const c of errorCodes) {
  if (!covered.codes.has(c)) fail("proto/examples", `no example of error ${c}`);
}
for (const k of eventKinds) {
  if (!covered.kinds.has(k)) fail("proto/examples", `no notification example of event kind ${k}`);
}

if (failures.length > 0) {
  console.error(failures.map((f) => `FAIL ${f}`).join("\n"));
  console.error(`${failures.length} failed, ${checks} checks, ${files.length} examples`);
  process.exit(1);
}
console.log(`${files.length} examples match proto/daemon.schema.json (${checks} checks)`);
