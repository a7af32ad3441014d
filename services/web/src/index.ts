export { agentFromDataDir, fixedAgent, type AgentLink } from './agent-link.ts';
export { startWebServer, WEB_INFO_FILE, type RunningWebServer, type WebInfo } from './server.ts';
