// probe.mjs URL: initialize once with the official TypeScript SDK client and print, as one
// JSON line, what the server declares (protocol version, serverInfo, capabilities).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const client = new Client({ name: 'quant-mcp-conformance-probe', version: '1.0.0' }, { capabilities: {} });
const transport = new StreamableHTTPClientTransport(new URL(process.argv[2]));
try {
  await client.connect(transport);
  console.log(JSON.stringify({
    protocolVersion: transport.protocolVersion ?? null,
    serverInfo: client.getServerVersion() ?? null,
    capabilities: client.getServerCapabilities() ?? {},
  }));
  try { await transport.terminateSession(); } catch {}
  await client.close();
  process.exit(0);
} catch (e) {
  console.error(String(e && e.message ? e.message : e));
  process.exit(1);
}
