// ts-client.mjs: quant-mcp as most desktop hosts see it, through the official TypeScript SDK
// client (@modelcontextprotocol/sdk, pinned in node-tools.sh), over one transport:
//
//   node ts-client.mjs stdio QUANT_MCP_COMMAND [STREAMS]    launches `QUANT_MCP_COMMAND serve --simulate`
//   node ts-client.mjs http  http://127.0.0.1:PORT/mcp [STREAMS]
//
// It lists and calls every default tool with valid arguments, streams chat_stream STREAMS
// times (default 20) with an onprogress handler and checks that the progress messages add up
// to the final text (a notification the client dropped, as in its issue #2580, shows up as a
// difference), lists and reads resources and templates, lists prompts and gets each one, and
// checks that prompts/get with an unknown name answers -32602. Every client-side protocol
// error (client.onerror) fails the run. Last line: `ts-client <transport>: N passed, M failed`.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';

const [transportName, target, streamsArg] = process.argv.slice(2);
const STREAMS = Number(streamsArg || 20);
const MODEL = 'amazon.nova-lite-v1:0';
const HELLO = [{ role: 'user', content: 'Hello there' }];

let passed = 0;
let failed = 0;
const protocolErrors = [];

function check(name, ok, detail = '') {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'PASS' : 'FAIL'} ${name}${detail ? ` - ${detail}` : ''}`);
}

function transport() {
  if (transportName === 'stdio') {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('QUANT_')));
    return new StdioClientTransport({ command: target, args: ['serve', '--simulate'], env, stderr: 'ignore' });
  }
  if (transportName.startsWith('http')) return new StreamableHTTPClientTransport(new URL(target));  // http, http-stateless
  console.error('usage: ts-client.mjs stdio|http|http-stateless COMMAND|URL [STREAMS]');
  process.exit(2);
}

const client = new Client({ name: 'quant-mcp-ts-check', version: '1.0.0' });
client.onerror = (error) => protocolErrors.push(String(error && error.message ? error.message : error));

async function call(name, args, options) {
  const result = await client.callTool({ name, arguments: args }, CallToolResultSchema, options);
  const text = (result.content || []).filter((b) => b.type === 'text').map((b) => b.text).join('\n');
  return { result, text, data: result.structuredContent || {} };
}

function find(key, data) {
  if (data && typeof data === 'object') {
    if (!Array.isArray(data) && data[key] != null) return data[key];
    for (const value of Object.values(data)) {
      const found = find(key, value);
      if (found != null) return found;
    }
  }
  return null;
}

// Every default tool, in an order where each finds what it needs.
const ids = {};
const STEPS = [
  ['list_models', { feature: 'chat' }],
  ['get_model', { modelId: MODEL }],
  ['create_session', { userId: 'ts-user', sessionGroup: 'ts-check' }, (d) => { ids.session = find('sessionId', d); }],
  ['list_sessions', { userId: 'ts-user' }],
  ['get_session', () => ({ sessionId: ids.session })],
  ['update_session', () => ({ sessionId: ids.session, newMessages: HELLO, tokensUsed: 3 })],
  ['extend_session', () => ({ sessionId: ids.session, additionalMinutes: 30 })],
  ['chat_in_session', () => ({ sessionId: ids.session, message: 'Hello again', modelId: MODEL })],
  ['chat', { messages: HELLO, modelId: MODEL }],
  ['chat_stream', { messages: HELLO, modelId: MODEL }],
  ['get_usage_stats', {}],
  ['get_my_usage', {}],
  ['get_ai_config', {}],
  ['update_ai_config', { temperature: 0.5 }],
  ['delete_session', () => ({ sessionId: ids.session })],
];

async function main() {
  await client.connect(transport());
  const info = client.getServerVersion();
  console.log(`connected over ${transportName}: ${info.name} ${info.version}, protocol ${client.transport.protocolVersion || '(stdio)'}`);

  const tools = (await client.listTools()).tools.map((t) => t.name);
  const expected = STEPS.map(([name]) => name);
  const absent = expected.filter((name) => !tools.includes(name));
  check(`tools/list offers the ${expected.length} default tools`, absent.length === 0 && tools.length === expected.length,
    absent.length ? `missing ${absent.join(', ')}` : `${tools.length} tools`);

  for (const [name, args, after] of STEPS) {
    try {
      const { result, text, data } = await call(name, typeof args === 'function' ? args() : args);
      check(`tools/call ${name}`, !result.isError, result.isError ? text.slice(0, 300) : '');
      if (after && !result.isError) after(data);
    } catch (error) {
      check(`tools/call ${name}`, false, String(error.message || error).slice(0, 300));
    }
  }

  // Streaming with progress: every delta must reach onprogress before the call resolves.
  let lost = 0;
  let deltas = 0;
  for (let i = 0; i < STREAMS; i++) {
    const messages = [];
    const { result, data } = await call('chat_stream', { messages: [{ role: 'user', content: `Count to ${5 + (i % 7)}, please.` }], modelId: MODEL },
      { onprogress: (p) => messages.push(p.message || '') });
    deltas += messages.length;
    const text = data.response && data.response.content;
    if (result.isError || messages.join('') !== text) lost++;
  }
  check(`chat_stream x${STREAMS} with onprogress: every delta arrives before the result`, lost === 0,
    `${deltas} progress notifications, ${lost} call(s) missing some`);

  const resources = (await client.listResources()).resources;
  const templates = (await client.listResourceTemplates()).resourceTemplates;
  check('resources/list and resources/templates/list', resources.length > 0 && templates.length > 0,
    `${resources.length} resources, ${templates.length} templates`);
  for (const resource of resources) {
    try {
      const read = await client.readResource({ uri: resource.uri });
      check(`resources/read ${resource.uri}`, read.contents.length > 0 && JSON.parse(read.contents[0].text) !== undefined);
    } catch (error) {
      check(`resources/read ${resource.uri}`, false, String(error.message || error).slice(0, 300));
    }
  }
  const made = await call('create_session', { userId: 'ts-user', sessionGroup: 'ts-check' });
  const sessionId = find('sessionId', made.data);
  await call('update_session', { sessionId, newMessages: HELLO, tokensUsed: 3 });
  const one = await client.readResource({ uri: `quant://sessions/${sessionId}` });
  check('resources/read quant://sessions/{sessionId}', JSON.parse(one.contents[0].text).messages.length === 1);

  const prompts = (await client.listPrompts()).prompts.map((p) => p.name);
  check('prompts/list', ['continue_session', 'summarise_session', 'answer_from_collection'].every((n) => prompts.includes(n)), prompts.join(', '));
  for (const [name, args] of [['summarise_session', { sessionId }], ['continue_session', { sessionId, message: 'And then?' }]]) {
    try {
      const got = await client.getPrompt({ name, arguments: args });
      check(`prompts/get ${name}`, got.messages.length >= 1 && got.messages[0].content.type === 'resource');
    } catch (error) {
      check(`prompts/get ${name}`, false, String(error.message || error).slice(0, 300));
    }
  }
  try {
    await client.getPrompt({ name: 'no_such_prompt', arguments: {} });
    check('prompts/get of an unknown prompt answers -32602', false, 'it succeeded');
  } catch (error) {
    check('prompts/get of an unknown prompt answers -32602', error.code === -32602, `code ${error.code}`);
  }
  await call('delete_session', { sessionId });

  check('no client-side protocol error (client.onerror)', protocolErrors.length === 0, protocolErrors.slice(0, 3).join(' | '));
  await client.close();
}

main()
  .catch((error) => check('the run', false, String((error && error.stack) || error).slice(0, 500)))
  .finally(() => {
    console.log(`ts-client ${transportName}: ${passed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
  });
