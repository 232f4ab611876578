/**
 * Logging: human lines on the console, JSON lines in a file. Every entry passes through redaction
 * first, so a secret that reaches a log call by accident (a token inside an error, an Authorization
 * header in an SDK's error object) is masked before any transport sees it.
 */
import { createRequire } from 'node:module';
import type Winston from 'winston';
import { ensureOwnerOnlyFile } from './owner-only.js';

/** winston is loaded when a logger is made: commands that log nothing (info, validate) start without it. */
const loadWinston = (): typeof Winston => createRequire(import.meta.url)('winston') as typeof Winston;

export interface Logger {
  debug(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

export interface LoggerOptions {
  /** Console level; 'silent' for none. */
  consoleLevel?: string;
  /** JSON lines log file, created readable by its owner only. */
  file?: string;
  /** Known secret values (resolved credentials) to mask wherever they appear. */
  secrets?: Iterable<string>;
}

const SECRET_KEY = /(token|secret|password|passwd|authorization|api[-_]?key|client[-_]?secret|cookie|signature)/i;
export const REDACTED = '[redacted]';

/** Masks secret values anywhere in a string. Values shorter than 6 characters are not masked: they would mangle ordinary text. */
export class Redactor {
  private readonly secrets: string[];

  constructor(secrets: Iterable<string> = []) {
    this.secrets = [...new Set([...secrets].filter((s) => s && s.length >= 6))].sort((a, b) => b.length - a.length);
  }

  text(value: string): string {
    let out = value;
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out.replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, `$1 ${REDACTED}`);
  }

  value(value: unknown, key = '', depth = 0): unknown {
    if (key && SECRET_KEY.test(key) && value !== undefined && value !== null && typeof value !== 'object') return REDACTED;
    if (typeof value === 'string') return this.text(value);
    if (depth > 6 || value === null || typeof value !== 'object') return value;
    if (value instanceof Error) return this.text(value.message);
    if (Array.isArray(value)) return value.map((v) => this.value(v, '', depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = this.value(v, k, depth + 1);
    return out;
  }
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const redactor = new Redactor(options.secrets);
  const winston = loadWinston();
  const redact = winston.format((info) => {
    for (const key of Object.keys(info)) {
      if (key === 'level') continue;
      (info as Record<string, unknown>)[key] = redactor.value(info[key], key === 'message' ? '' : key);
    }
    return info;
  });
  const transports: Winston.transport[] = [];
  if (options.consoleLevel !== 'silent') {
    transports.push(
      new winston.transports.Console({
        level: options.consoleLevel ?? 'info',
        stderrLevels: ['error', 'warn', 'info', 'debug'],
        format: winston.format.combine(
          winston.format.timestamp({ format: 'HH:mm:ss' }),
          winston.format.printf(({ timestamp, level, message, ...meta }) => {
            const extra = Object.entries(meta)
              .filter(([, v]) => v !== undefined)
              .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
              .join(' ');
            return `${String(timestamp)} ${level.padEnd(5)} ${String(message)}${extra ? ` ${extra}` : ''}`;
          }),
        ),
      }),
    );
  }
  if (options.file) {
    ensureOwnerOnlyFile(options.file);
    transports.push(new winston.transports.File({ filename: options.file, level: 'debug', format: winston.format.combine(winston.format.timestamp(), winston.format.json()) }));
  }
  if (!transports.length) transports.push(new winston.transports.Console({ silent: true }));
  return winston.createLogger({ format: redact(), transports });
}


/** A logger that drops everything, for tests and benchmarks. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
