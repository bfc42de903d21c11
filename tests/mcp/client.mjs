// Drives WARAS's /mcp with the official MCP client SDK (streamable HTTP), as an AI agent would:
//   node tests/mcp/client.mjs BASE_URL KEY SESSION_ID PHONE
// Prints one JSON object: the server's name, its tools and what each tool call answered. A
// connection the server refuses ends the process with exit code 3 and the error on stderr.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const [base, key, sessionId, phone] = process.argv.slice(2);
const client = new Client({ name: 'waras-mcp-test', version: '1.0.0' });
const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
  requestInit: { headers: { Authorization: `Bearer ${key}` } },
});
try {
  await client.connect(transport);
} catch (e) {
  console.error(`connect refused: ${e.message}`);
  process.exit(3);
}
const call = (name, args) => client.callTool({ name, arguments: args });
const out = {
  server: client.getServerVersion(),
  tools: (await client.listTools()).tools.map((t) => t.name),
  sessions: await call('list_sessions', {}),
  check: await call('check_numbers', { session_id: sessionId, phones: [phone, '+4915199999999'] }),
  send: await call('send_message', { session_id: sessionId, to: phone, text: 'hello from an agent' }),
  chats: await call('list_chats', { session_id: sessionId }),
  messages: await call('read_messages', { session_id: sessionId, chat: phone, limit: 20 }),
};
try {
  await call('no_such_tool', {});
  out.unknown = 'answered';
} catch (e) {
  out.unknown = e.message;
}
await client.close();
console.log(JSON.stringify(out));
