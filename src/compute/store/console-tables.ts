/**
 * Console authorization tokens (Nova's console_auth_tokens). Only the
 * SHA-256 of a token is stored: a leaked row does not open a console.
 */
export interface ConsoleAuthTokenRow {
  /** Hex SHA-256 of the token handed to the client. */
  token_hash: string;
  instance_uuid: string;
  /** `novnc`, ... */
  console_type: string;
  /** Where the guest's VNC server listens, as the agent reported it. */
  host: string;
  port: number;
  /** Path the proxy asks for on the console server (unused for VNC). */
  internal_access_path: string | null;
  /** Base of the URL the token was issued for (`http://host:6080/vnc_lite.html`). */
  access_url_base: string;
  /** ISO-8601; the token is refused from then on. */
  expires_at: string;
  created_at: string;
}

export interface ConsoleTables {
  console_auth_tokens: ConsoleAuthTokenRow;
}
