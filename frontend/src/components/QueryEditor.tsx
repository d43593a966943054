import { css } from '@emotion/css';
import { GrafanaTheme2, QueryEditorProps } from '@grafana/data';
import { Alert, InlineField, InlineSwitch, Input, LoadingPlaceholder, Select, Switch, useStyles2 } from '@grafana/ui';
import React, { useEffect, useState } from 'react';

import type { QuarryDataSource } from '../datasource';
import { OrderedProperty, defaultQueryFor, enumOptions, isEmptyQuery, orderedProperties, widgetFor } from '../schema';
import { Descriptor, GRAFANA_QUERY_KEYS, QuarryOptions, QuarryQuery, StatusResponse } from '../types';
import { JsonObjectEditor, KeyValueEditor, MultilineEditor, NumberInput, StringListInput } from './widgets';

export type Props = QueryEditorProps<QuarryDataSource, QuarryQuery, QuarryOptions>;

/** Keys the raw JSON editor does not show; they are kept as they are. */
const KEPT_KEYS = ['refId', 'datasource', 'hide', 'key'];

interface StatusState {
  loading: boolean;
  status?: StatusResponse;
  error?: string;
}

/** `_quarry/status` of the datasource, through its per-instance cache. */
export function useStatus(datasource: QuarryDataSource): StatusState {
  const [state, setState] = useState<StatusState>({ loading: true });
  useEffect(() => {
    let cancelled = false;
    setState({ loading: true });
    datasource.getStatus().then(
      (status) => !cancelled && setState({ loading: false, status }),
      (err: Error) => !cancelled && setState({ loading: false, error: err.message })
    );
    return () => {
      cancelled = true;
    };
  }, [datasource]);
  return state;
}

export function QueryEditor(props: Props) {
  return <QuarryQueryEditor {...props} />;
}

interface QuarryQueryEditorProps extends Props {
  /** Set for variable and annotation queries: the queryType the descriptor names for them. */
  purpose?: 'variable' | 'annotation';
}

/** The query editor, generated from the running module's `querySchema`. */
export function QuarryQueryEditor({ datasource, query, onChange, onRunQuery, purpose }: QuarryQueryEditorProps) {
  const styles = useStyles2(getStyles);
  const { loading, status, error } = useStatus(datasource);
  const descriptor: Descriptor | null = status?.running?.descriptor ?? null;
  const schema = descriptor?.querySchema ?? null;
  const [raw, setRaw] = useState(false);

  const forcedType =
    purpose === 'variable' ? descriptor?.variableQueryType : purpose === 'annotation' ? descriptor?.annotationQueryType : undefined;

  // A new, empty query gets the module's default query; variable/annotation queries get their queryType.
  useEffect(() => {
    if (loading || !descriptor) {
      return;
    }
    let next: QuarryQuery | undefined;
    if (isEmptyQuery(query)) {
      const defaults = defaultQueryFor(descriptor);
      if (Object.keys(defaults).length > 0) {
        next = { ...defaults, ...query };
      }
    }
    if (forcedType && query.queryType !== forcedType) {
      next = { ...(next ?? query), queryType: forcedType };
    }
    if (next) {
      onChange(next);
    }
    // Only when the descriptor arrives (or the query is replaced by an empty one).
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [loading, descriptor, forcedType, isEmptyQuery(query)]);

  if (loading) {
    return <LoadingPlaceholder text="Loading the module's query schema…" />;
  }

  const setValue = (name: string, value: unknown) => {
    const next: QuarryQuery = { ...query };
    if (value === undefined) {
      delete next[name];
    } else {
      next[name] = value;
    }
    onChange(next);
  };
  const setAndRun = (name: string, value: unknown) => {
    setValue(name, value);
    onRunQuery();
  };

  const rawEditor = (
    <JsonObjectEditor
      id="quarry-raw-json"
      value={withoutKeys(query, KEPT_KEYS)}
      rows={10}
      onChange={(model) => {
        const kept: Record<string, unknown> = {};
        for (const k of KEPT_KEYS) {
          if (query[k] !== undefined) {
            kept[k] = query[k];
          }
        }
        onChange({ ...model, ...kept } as QuarryQuery);
        onRunQuery();
      }}
    />
  );

  const notices: React.ReactNode[] = [];
  if (error) {
    notices.push(
      <Alert key="error" severity="warning" title="Query schema unavailable">
        {error}. Edit the query as JSON.
      </Alert>
    );
  } else if (status && !status.running) {
    notices.push(
      <Alert key="norun" severity="warning" title="No module is running for this datasource">
        {status.error ?? 'Check the datasource settings.'}
      </Alert>
    );
  } else if (status?.lastReloadError) {
    notices.push(
      <Alert key="reload" severity="info" title="The last module reload failed; the previous module keeps running">
        {status.lastReloadError}
      </Alert>
    );
  }
  if (purpose && descriptor && !forcedType) {
    notices.push(
      <Alert key="purpose" severity="info" title={`Module ${status?.running?.name ?? ''} declares no ${purpose} query type`}>
        The query below runs as an ordinary query.
      </Alert>
    );
  }

  if (!schema) {
    return (
      <div className={styles.editor}>
        {notices}
        {status?.running && !error && (
          <div className={styles.meta}>
            Module {status.running.name} ({status.running.contract}) does not describe its queries: edit the query model as
            JSON.
          </div>
        )}
        {rawEditor}
      </div>
    );
  }

  const properties = orderedProperties(schema);
  const known = new Set(properties.map((p) => p.name));
  const extraKeys = Object.keys(query).filter((k) => !known.has(k) && !GRAFANA_QUERY_KEYS.includes(k));
  const unsupported = properties.filter((p) => widgetFor(p.schema) === 'unsupported').map((p) => p.name);

  return (
    <div className={styles.editor}>
      {notices}
      <div className={styles.toolbar}>
        <InlineSwitch
          id={`quarry-raw-toggle-${query.refId}`}
          label="Raw JSON"
          showLabel
          value={raw}
          onChange={(e) => setRaw(e.currentTarget.checked)}
        />
        {(extraKeys.length > 0 || unsupported.length > 0) && !raw && (
          <span className={styles.meta}>
            Also in the model (edit as raw JSON): {[...unsupported, ...extraKeys].join(', ')}
          </span>
        )}
      </div>
      {raw ? (
        rawEditor
      ) : (
        <div className={styles.fields}>
          {properties
            .filter((p) => widgetFor(p.schema) !== 'unsupported')
            .map((p) => (
              <PropertyField
                key={p.name}
                refId={query.refId}
                property={p}
                value={query[p.name]}
                onChange={(v) => setValue(p.name, v)}
                onChangeAndRun={(v) => setAndRun(p.name, v)}
                onRunQuery={onRunQuery}
              />
            ))}
        </div>
      )}
    </div>
  );
}

function withoutKeys(query: object, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(query)) {
    if (!keys.includes(k)) {
      out[k] = v;
    }
  }
  return out;
}

interface PropertyFieldProps {
  refId: string;
  property: OrderedProperty;
  value: unknown;
  onChange: (value: unknown) => void;
  onChangeAndRun: (value: unknown) => void;
  onRunQuery: () => void;
}

/** One query property: text runs the query on blur, selects and switches at once. */
function PropertyField({ refId, property, value, onChange, onChangeAndRun, onRunQuery }: PropertyFieldProps) {
  const styles = useStyles2(getStyles);
  const { name, schema, main, required } = property;
  const id = `quarry-q-${refId}-${name}`;
  const widget = widgetFor(schema);
  const [numberError, setNumberError] = useState<string | undefined>();
  const placeholder = schema['x-placeholder'] ?? (schema.default !== undefined ? `default: ${JSON.stringify(schema.default)}` : undefined);
  const missing = required && (value === undefined || value === '' || value === null);
  const error = numberError ?? (missing ? 'Required' : undefined);

  let control: React.ReactElement;
  switch (widget) {
    case 'enum': {
      const options = enumOptions(schema).map((o) => ({ ...o, value: o.value as string | number | boolean }));
      const current = value ?? schema.default;
      control = (
        <Select
          inputId={id}
          options={options}
          value={options.find((o) => o.value === current) ?? null}
          isClearable={!required}
          width={main ? undefined : 30}
          onChange={(v) => onChangeAndRun(v?.value ?? undefined)}
        />
      );
      break;
    }
    case 'boolean':
      control = (
        <Switch
          id={id}
          value={typeof value === 'boolean' ? value : schema.default === true}
          onChange={(e) => onChangeAndRun(e.currentTarget.checked)}
        />
      );
      break;
    case 'integer':
    case 'number':
      control = (
        <NumberInput
          id={id}
          value={value}
          integer={widget === 'integer'}
          placeholder={placeholder}
          width={main ? undefined : 20}
          invalid={!!numberError}
          onChange={(p) => {
            setNumberError(p.error);
            if (!p.error) {
              onChange(p.value);
            }
          }}
          onBlur={onRunQuery}
        />
      );
      break;
    case 'multiline':
      control = (
        <MultilineEditor
          id={id}
          value={typeof value === 'string' ? value : ''}
          placeholder={placeholder}
          rows={6}
          onChange={(t) => onChange(t === '' ? undefined : t)}
          onBlur={() => onRunQuery()}
        />
      );
      break;
    case 'string-list':
      control = (
        <StringListInput
          id={id}
          value={value}
          placeholder={placeholder}
          width={main ? undefined : 40}
          onChange={(list) => onChangeAndRun(list.length ? list : undefined)}
        />
      );
      break;
    case 'string-map':
      control = (
        <KeyValueEditor
          id={id}
          value={value}
          onChange={(map) => onChange(Object.keys(map).length ? map : undefined)}
          onBlur={onRunQuery}
        />
      );
      break;
    case 'string':
    default:
      control = (
        <Input
          id={id}
          value={typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value)}
          placeholder={placeholder}
          width={main ? undefined : 30}
          invalid={!!error}
          onChange={(e) => onChange(e.currentTarget.value === '' ? undefined : e.currentTarget.value)}
          onBlur={onRunQuery}
        />
      );
  }

  const wide = main || widget === 'multiline' || widget === 'string-map';
  return (
    <div className={wide ? styles.wide : undefined}>
      <InlineField
        label={schema.title ?? name}
        labelWidth={16}
        tooltip={schema.description || undefined}
        grow={wide}
        invalid={!!error}
        error={error}
        htmlFor={id}
        required={required}
      >
        {control}
      </InlineField>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  editor: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(1), width: '100%' }),
  toolbar: css({ display: 'flex', alignItems: 'center', gap: theme.spacing(2) }),
  fields: css({ display: 'flex', flexWrap: 'wrap', columnGap: theme.spacing(1), alignItems: 'flex-start' }),
  wide: css({ flexBasis: '100%', display: 'flex' }),
  meta: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize }),
});
