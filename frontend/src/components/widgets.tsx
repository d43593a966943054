// Small editing widgets shared by the ConfigEditor and the QueryEditor, built from @grafana/ui parts.

import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Button, CodeEditor, IconButton, Input, TagsInput, TextArea, useStyles2 } from '@grafana/ui';
import React, { createContext, useContext, useEffect, useRef, useState } from 'react';

import { parseNumberText } from '../schema';

/**
 * Whether multi-line editors use @grafana/ui's CodeEditor (Monaco) or a plain TextArea. Inside
 * Grafana (window.grafanaBootData is set) it is CodeEditor. Elsewhere the default is TextArea, because
 * Monaco cannot run in jsdom; the browser test page runs both (CodeEditor with ?monaco=1, where
 * Monaco comes bundled from @grafana/ui's own dependency).
 */
export const CodeEditorContext = createContext<boolean>(
  typeof window !== 'undefined' && Boolean((window as unknown as { grafanaBootData?: unknown }).grafanaBootData)
);

export interface ParsedNumber {
  text: string;
  value?: number;
  error?: string;
}

interface NumberInputProps {
  id: string;
  value: unknown;
  integer: boolean;
  placeholder?: string;
  width?: number;
  invalid?: boolean;
  onChange: (parsed: ParsedNumber) => void;
  onBlur?: () => void;
}

/** A text input for numbers that keeps what the user typed (so "1." or "abc" can be shown as invalid). */
export function NumberInput({ id, value, integer, placeholder, width, invalid, onChange, onBlur }: NumberInputProps) {
  const external = value === undefined || value === null ? '' : String(value);
  const [text, setText] = useState(external);
  useEffect(() => {
    // Follow outside changes (raw JSON edits, resets) unless they are what we emitted ourselves.
    const parsed = parseNumberText(text, integer);
    const same = parsed.error ? text === external : String(parsed.value ?? '') === external;
    if (!same) {
      setText(external);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [external]);
  return (
    <Input
      id={id}
      type="text"
      inputMode={integer ? 'numeric' : 'decimal'}
      value={text}
      placeholder={placeholder}
      width={width}
      invalid={invalid}
      onChange={(e) => {
        const t = e.currentTarget.value;
        setText(t);
        onChange({ text: t, ...parseNumberText(t, integer) });
      }}
      onBlur={onBlur}
    />
  );
}

interface StringListInputProps {
  id: string;
  value: unknown;
  placeholder?: string;
  width?: number;
  invalid?: boolean;
  onChange: (values: string[]) => void;
}

/** A list of strings as tags: type, press Enter (or leave the field) to add. */
export function StringListInput({ id, value, placeholder, width, invalid, onChange }: StringListInputProps) {
  const tags = Array.isArray(value) ? value.map(String) : [];
  return (
    <TagsInput
      id={id}
      tags={tags}
      placeholder={placeholder ?? 'Type and press Enter'}
      width={width}
      invalid={invalid}
      addOnBlur
      autoColors={false}
      onChange={onChange}
    />
  );
}

interface Row {
  key: string;
  value: string;
}

function rowsFrom(value: unknown): Row[] {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return [];
  }
  return Object.entries(value as Record<string, unknown>).map(([k, v]) => ({ key: k, value: v === null || v === undefined ? '' : String(v) }));
}

function mapFrom(rows: Row[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const row of rows) {
    if (row.key.trim() !== '') {
      out[row.key] = row.value;
    }
  }
  return out;
}

interface KeyValueEditorProps {
  id: string;
  value: unknown;
  onChange: (value: Record<string, string>) => void;
  onBlur?: () => void;
  keyPlaceholder?: string;
  valuePlaceholder?: string;
}

/** Rows of key/value inputs for a string map. Rows with an empty key are kept while editing, not emitted. */
export function KeyValueEditor({ id, value, onChange, onBlur, keyPlaceholder, valuePlaceholder }: KeyValueEditorProps) {
  const styles = useStyles2(getStyles);
  const [rows, setRows] = useState<Row[]>(() => rowsFrom(value));
  const emitted = useRef(JSON.stringify(mapFrom(rows)));
  const external = JSON.stringify(value && typeof value === 'object' ? value : {});
  useEffect(() => {
    if (external !== emitted.current) {
      setRows(rowsFrom(value));
      emitted.current = external;
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [external]);

  const update = (next: Row[]) => {
    setRows(next);
    const map = mapFrom(next);
    emitted.current = JSON.stringify(map);
    onChange(map);
  };

  return (
    <div className={styles.kv} id={id}>
      {rows.map((row, i) => (
        <div className={styles.kvRow} key={i}>
          <Input
            aria-label={`${id} key ${i + 1}`}
            value={row.key}
            placeholder={keyPlaceholder ?? 'key'}
            width={24}
            onChange={(e) => update(rows.map((r, j) => (j === i ? { ...r, key: e.currentTarget.value } : r)))}
            onBlur={onBlur}
          />
          <Input
            aria-label={`${id} value ${i + 1}`}
            value={row.value}
            placeholder={valuePlaceholder ?? 'value'}
            width={36}
            onChange={(e) => update(rows.map((r, j) => (j === i ? { ...r, value: e.currentTarget.value } : r)))}
            onBlur={onBlur}
          />
          <IconButton
            name="trash-alt"
            aria-label={`Remove ${id} row ${i + 1}`}
            onClick={() => {
              update(rows.filter((_, j) => j !== i));
              onBlur?.();
            }}
          />
        </div>
      ))}
      <div>
        <Button
          size="sm"
          variant="secondary"
          icon="plus"
          type="button"
          aria-label={`Add ${id} row`}
          onClick={() => setRows([...rows, { key: '', value: '' }])}
        >
          Add
        </Button>
      </div>
    </div>
  );
}

interface MultilineEditorProps {
  id: string;
  value: string;
  language?: string;
  placeholder?: string;
  rows?: number;
  onChange: (text: string) => void;
  onBlur?: (text: string) => void;
}

/** CodeEditor inside Grafana, TextArea elsewhere (see CodeEditorContext). */
export function MultilineEditor({ id, value, language, placeholder, rows, onChange, onBlur }: MultilineEditorProps) {
  const useMonaco = useContext(CodeEditorContext);
  if (useMonaco) {
    return (
      <div id={id} style={{ width: '100%' }}>
        <CodeEditor
          value={value}
          language={language ?? 'plaintext'}
          height={Math.max(80, (rows ?? 6) * 20)}
          showMiniMap={false}
          showLineNumbers
          onBlur={(text) => {
            onChange(text);
            onBlur?.(text);
          }}
        />
      </div>
    );
  }
  return (
    <TextArea
      id={id}
      value={value}
      rows={rows ?? 6}
      placeholder={placeholder}
      className={css({ fontFamily: 'monospace' })}
      onChange={(e) => onChange(e.currentTarget.value)}
      onBlur={(e) => onBlur?.(e.currentTarget.value)}
    />
  );
}

interface JsonObjectEditorProps {
  id: string;
  value: object;
  rows?: number;
  onChange: (value: Record<string, unknown>) => void;
}

/** Edits a JSON object as text; applies it when the text is left and parses to an object. */
export function JsonObjectEditor({ id, value, rows, onChange }: JsonObjectEditorProps) {
  const styles = useStyles2(getStyles);
  const external = JSON.stringify(value ?? {}, null, 2);
  const [text, setText] = useState(external);
  const [error, setError] = useState<string | undefined>();
  const lastApplied = useRef(external);
  useEffect(() => {
    if (external !== lastApplied.current) {
      setText(external);
      setError(undefined);
      lastApplied.current = external;
    }
  }, [external]);

  const apply = (t: string) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(t);
    } catch (e) {
      setError(`Invalid JSON: ${(e as Error).message}`);
      return;
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      setError('Must be a JSON object ({ ... })');
      return;
    }
    setError(undefined);
    lastApplied.current = JSON.stringify(parsed, null, 2);
    onChange(parsed as Record<string, unknown>);
  };

  return (
    <div className={styles.json}>
      <MultilineEditor id={id} value={text} language="json" rows={rows ?? 8} onChange={setText} onBlur={apply} />
      {error && (
        <div role="alert" className={styles.error}>
          {error}
        </div>
      )}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  kv: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(0.5) }),
  kvRow: css({ display: 'flex', gap: theme.spacing(0.5), alignItems: 'center' }),
  json: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(0.5), width: '100%' }),
  error: css({ color: theme.colors.error.text, fontSize: theme.typography.bodySmall.fontSize }),
});
