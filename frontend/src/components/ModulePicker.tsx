import { css } from '@emotion/css';
import { GrafanaTheme2, SelectableValue } from '@grafana/data';
import { Alert, Field, Select, useStyles2 } from '@grafana/ui';
import React from 'react';

import { ModuleInfo } from '../types';

interface Props {
  modules: ModuleInfo[];
  loading: boolean;
  loadError?: string;
  value: string | undefined;
  error?: string;
  onChange: (module: string) => void;
}

function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes)) {
    return '';
  }
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${Math.round(bytes / 1024)} KiB`;
}

/** The `module` host setting: a module from `_quarry/modules`, or any reference typed in. */
export function ModulePicker({ modules, loading, loadError, value, error, onChange }: Props) {
  const styles = useStyles2(getStyles);
  const options: Array<SelectableValue<string>> = modules.map((m) => ({
    label: m.name,
    value: m.name,
    description: m.error ? `Cannot load: ${m.error}` : [m.contract, m.descriptor?.description].filter(Boolean).join(' — '),
  }));
  if (value && !modules.some((m) => m.name === value)) {
    options.push({ label: value, value, description: 'Not in the modules directory listing (typed reference)' });
  }
  const selected = modules.find((m) => m.name === value);

  return (
    <>
      <Field
        label="Module"
        required
        description="The WebAssembly query module this datasource runs. Pick one from the host's modules directory, or type a reference such as name@sha256:<hex> or oci://registry/repo:tag."
        invalid={!!error}
        error={error}
      >
        <Select
          inputId="quarry-module"
          aria-label="Module"
          options={options}
          value={value ?? null}
          isLoading={loading}
          allowCustomValue
          formatCreateLabel={(v) => `Use reference: ${v}`}
          onCreateOption={(v) => onChange(v.trim())}
          onChange={(v) => onChange(v?.value ?? '')}
          placeholder={loading ? 'Loading modules…' : 'Choose a module'}
          width={60}
          invalid={!!error}
        />
      </Field>
      {loadError && (
        <Alert severity="warning" title="Could not list the host's modules">
          {loadError}. You can still type a module reference; it is checked when you click Save &amp; test.
        </Alert>
      )}
      {selected && (
        <div className={styles.info} data-testid="quarry-module-info">
          {selected.descriptor?.description && <p className={styles.description}>{selected.descriptor.description}</p>}
          <div className={styles.meta}>
            {selected.file} · {formatSize(selected.size)} · {selected.contract || 'unknown contract'} · sha256{' '}
            {selected.sha256 ? `${selected.sha256.slice(0, 12)}…` : '?'}
          </div>
          {selected.error && (
            <Alert severity="error" title={`Module ${selected.name} cannot be loaded`}>
              {selected.error}
            </Alert>
          )}
          {!selected.error && !selected.descriptor && (
            <div className={styles.meta}>
              This module does not describe its settings (contract 0.2): edit them as JSON below.
            </div>
          )}
        </div>
      )}
    </>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  info: css({ marginBottom: theme.spacing(2), maxWidth: theme.spacing(100) }),
  description: css({ margin: 0, marginBottom: theme.spacing(0.5) }),
  meta: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize }),
});
