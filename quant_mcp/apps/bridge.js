// The view's side of the MCP Apps bridge (ui/* JSON-RPC over postMessage with the host), shared by
// every quant-mcp view and inlined into each document. No network: the host is the only peer.
const bridge = (() => {
  const pending = new Map();
  const handlers = {};
  let nextId = 1;
  let host = { hostCapabilities: {}, hostContext: {} };

  const post = (message) => window.parent.postMessage({ jsonrpc: "2.0", ...message }, "*");
  const notify = (method, params = {}) => post({ method, params });

  function request(method, params = {}, timeoutMs = 120000) {
    const id = nextId++;
    post({ id, method, params });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`${method}: the host did not answer`));
      }, timeoutMs);
      pending.set(id, { resolve, reject, timer });
    });
  }

  const answers = {
    "ui/resource-teardown": () => (handlers.teardown?.(), {}),
    ping: () => ({}),
  };

  window.addEventListener("message", (event) => {
    const message = event.data;
    if (event.source !== window.parent || !message || message.jsonrpc !== "2.0") return;
    if (message.method === undefined) {
      const waiting = pending.get(message.id);
      if (!waiting) return;
      pending.delete(message.id);
      clearTimeout(waiting.timer);
      if (message.error) waiting.reject(new Error(message.error.message || "the host refused the request"));
      else waiting.resolve(message.result);
    } else if (message.id !== undefined) {
      const answer = answers[message.method];
      post(answer ? { id: message.id, result: answer(message.params) } : { id: message.id, error: { code: -32601, message: "Method not found" } });
    } else {
      if (message.method === "ui/notifications/host-context-changed") applyContext(message.params);
      handlers[message.method]?.(message.params || {});
    }
  });

  function applyContext(context = {}) {
    host.hostContext = { ...host.hostContext, ...context };
    const root = document.documentElement;
    if (context.theme) root.dataset.theme = context.theme;
    for (const [name, value] of Object.entries(context.styles?.variables || {})) {
      if (value) root.style.setProperty(name, value);
    }
  }

  // A view that throws tells the host (its log), besides the browser console.
  const report = (text) => notify("notifications/message", { level: "error", logger: document.title, data: String(text) });
  window.addEventListener("error", (event) => report(event.message));
  window.addEventListener("unhandledrejection", (event) => report(event.reason?.stack || event.reason));

  async function connect(name) {
    const result = await request("ui/initialize", {
      appInfo: { name, version: "1" },
      appCapabilities: { availableDisplayModes: ["inline"] },
      protocolVersion: "2026-01-26",
    });
    host = { hostCapabilities: result.hostCapabilities || {}, hostContext: {} };
    applyContext(result.hostContext);
    notify("ui/notifications/initialized");
    let last = 0;
    new ResizeObserver(() => {
      const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
      if (height !== last) notify("ui/notifications/size-changed", { height: (last = height) });
    }).observe(document.documentElement);
  }

  // Numbers and dates for people, in the host's locale and time zone.
  const locale = () => host.hostContext.locale || undefined;
  const number = (value) => new Intl.NumberFormat(locale()).format(value);
  const compact = (value) => new Intl.NumberFormat(locale(), { notation: "compact", maximumFractionDigits: 1 }).format(value);
  const bytes = (value) =>
    value < 1024 ? `${number(value)} B` : value < 1048576 ? `${compact(value / 1024)} KB` : `${compact(value / 1048576)} MB`;
  const time = (date) => new Intl.DateTimeFormat(locale(), { timeStyle: "medium", timeZone: host.hostContext.timeZone }).format(date);
  const month = (yyyyMm) => {
    const [year, index] = yyyyMm.split("-").map(Number);
    return new Intl.DateTimeFormat(locale(), { month: "long", year: "numeric", timeZone: "UTC" }).format(new Date(Date.UTC(year, index - 1, 1)));
  };
  function when(text) {
    const date = new Date(text);
    if (!text || Number.isNaN(date.getTime())) return text || "";
    return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "short", timeZone: host.hostContext.timeZone }).format(date);
  }

  return {
    connect,
    request,
    on: (method, handler) => (handlers[method] = handler),
    onTeardown: (handler) => (handlers.teardown = handler),
    can: (capability) => Boolean(host.hostCapabilities[capability]),
    async callTool(name, args) {
      const result = await request("tools/call", { name, arguments: args });
      if (result.isError) throw new Error((result.content || []).map((block) => block.text || "").join(" ") || `${name} failed`);
      return result;
    },
    format: { number, compact, bytes, when, time, month },
  };
})();

// Build DOM without HTML strings (the data is the API's, never markup): el("td", {className: "n", "data-value": 12}, "12").
function el(tag, properties = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(properties)) {
    if (value === undefined || value === null) continue;
    if (key.includes("-") || key === "role") node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children.flat()) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}
