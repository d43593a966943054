import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Field, Input, useStyles2 } from '@grafana/ui';
import React from 'react';

import { QuarryOptions } from '../types';
import { HostErrors, LIMIT_FIELDS } from '../validation';
import { NumberInput, StringListInput } from './widgets';

interface Props {
  url: string;
  jsonData: QuarryOptions;
  errors: HostErrors;
  onUrlChange: (url: string) => void;
  onJsonChange: (key: keyof QuarryOptions & string, value: unknown) => void;
  /** Host keys the module's descriptor also declares: edited once, in the module's section. */
  sharedKeys?: string[];
}

/** The host's own settings: where the module may connect and how much it may use. */
export function HostSettings({ url, jsonData, errors, onUrlChange, onJsonChange, sharedKeys = [] }: Props) {
  const styles = useStyles2(getStyles);
  return (
    <>
      <Field
        label="URL"
        description="Optional. Its origin is allowed for the module's HTTP requests and receives granted credentials by default."
        invalid={!!errors.url}
        error={errors.url}
      >
        <Input
          id="quarry-url"
          value={url}
          placeholder="https://api.example.com"
          width={60}
          onChange={(e) => onUrlChange(e.currentTarget.value)}
        />
      </Field>
      {!sharedKeys.includes('endpoint') && (
        <Field
          label="Endpoint"
          description="Optional, same role as URL (jsonData.endpoint)."
          invalid={!!errors.endpoint}
          error={errors.endpoint}
        >
          <Input
            id="quarry-endpoint"
            value={jsonData.endpoint ?? ''}
            placeholder="https://metrics.example.com/api"
            width={60}
            onChange={(e) => onJsonChange('endpoint', e.currentTarget.value || undefined)}
          />
        </Field>
      )}
      <Field
        label="Allowed hosts"
        description="More hosts the module may call: host (ports 80/443), host:port, host:* or a URL (which also pins the scheme). Press Enter after each."
        invalid={!!errors.allowedHosts}
        error={errors.allowedHosts}
      >
        <StringListInput
          id="quarry-allowed-hosts"
          value={jsonData.allowedHosts}
          placeholder="host, host:port, host:* or URL"
          width={60}
          invalid={!!errors.allowedHosts}
          onChange={(hosts) => onJsonChange('allowedHosts', hosts.length ? hosts : undefined)}
        />
      </Field>
      <div className={styles.limits}>
        {LIMIT_FIELDS.map((f) => (
          <Field key={f.key} label={f.label} description={f.description} invalid={!!errors[f.key]} error={errors[f.key]}>
            <NumberInput
              id={`quarry-${f.key}`}
              value={jsonData[f.key]}
              integer={f.integer}
              placeholder={`default ${f.defaultValue}`}
              width={20}
              invalid={!!errors[f.key]}
              // Stored as typed when it does not parse, so the inline error stays until it is fixed.
              onChange={(p) => onJsonChange(f.key, p.error ? p.text : p.value)}
            />
          </Field>
        ))}
      </div>
    </>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  limits: css({
    display: 'grid',
    gridTemplateColumns: `repeat(auto-fill, minmax(${theme.spacing(30)}, 1fr))`,
    columnGap: theme.spacing(2),
    maxWidth: theme.spacing(100),
  }),
});
