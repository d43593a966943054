import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Button, Field, Input, SecretInput, Select, Switch, useStyles2 } from '@grafana/ui';
import React, { useState } from 'react';

import { HOST_KEYS, JsonValue, QuarryOptions, SettingDescriptor } from '../types';
import { validateSetting } from '../validation';
import { JsonObjectEditor, KeyValueEditor, NumberInput, StringListInput } from './widgets';

export interface SecretProps {
  secureJsonData: Record<string, string> | undefined;
  secureJsonFields: Record<string, boolean> | undefined;
  onSecretChange: (key: string, value: string) => void;
  onSecretReset: (key: string) => void;
}

function defaultText(value: JsonValue): string | undefined {
  if (value === null || value === undefined) {
    return undefined;
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

interface SettingFieldProps extends SecretProps {
  setting: SettingDescriptor;
  value: unknown;
  onChange: (value: unknown) => void;
  /** For a key the host reads too (e.g. `endpoint`): the host's validation message and role. */
  hostError?: string;
  hostNote?: string;
}

/** One module setting, with the widget its `kind` calls for. */
export function SettingField({ setting, value, onChange, hostError, hostNote, ...secrets }: SettingFieldProps) {
  const id = `quarry-setting-${setting.key}`;
  const configured = secrets.secureJsonFields?.[setting.key] === true;
  const secretValue = secrets.secureJsonData?.[setting.key];
  const error = validateSetting(setting, setting.secret ? secretValue : value, configured) ?? hostError;
  const placeholder = setting.placeholder ?? (defaultText(setting.default) ? `default: ${defaultText(setting.default)}` : undefined);

  let control: React.ReactElement;
  if (setting.secret) {
    control = (
      <SecretInput
        id={id}
        isConfigured={configured}
        value={secretValue ?? ''}
        placeholder={placeholder ?? 'secret'}
        width={60}
        onChange={(e) => secrets.onSecretChange(setting.key, e.currentTarget.value)}
        onReset={() => secrets.onSecretReset(setting.key)}
      />
    );
  } else {
    switch (setting.kind) {
      case 'number':
      case 'integer':
        control = (
          <NumberInput
            id={id}
            value={value}
            integer={setting.kind === 'integer'}
            placeholder={placeholder}
            width={30}
            invalid={!!error}
            onChange={(p) => onChange(p.error ? p.text : p.value)}
          />
        );
        break;
      case 'boolean':
        control = (
          <Switch
            id={id}
            value={typeof value === 'boolean' ? value : setting.default === true}
            onChange={(e) => onChange(e.currentTarget.checked)}
          />
        );
        break;
      case 'enum': {
        const current = value ?? setting.default ?? null;
        control = (
          <Select
            inputId={id}
            options={setting.options.map((o) => ({ value: o.value, label: o.label || o.value, description: o.description || undefined }))}
            value={typeof current === 'string' ? current : null}
            isClearable={!setting.required}
            width={40}
            invalid={!!error}
            onChange={(v) => onChange(v?.value ?? undefined)}
          />
        );
        break;
      }
      case 'string-list':
        control = (
          <StringListInput
            id={id}
            value={value ?? setting.default}
            placeholder={setting.placeholder ?? undefined}
            width={60}
            invalid={!!error}
            onChange={(list) => onChange(list.length ? list : undefined)}
          />
        );
        break;
      case 'string-map':
        control = (
          <KeyValueEditor
            id={id}
            value={value ?? setting.default}
            onChange={(map) => onChange(Object.keys(map).length ? map : undefined)}
          />
        );
        break;
      case 'string':
      default:
        control = (
          <Input
            id={id}
            value={value === undefined || value === null ? '' : String(value)}
            placeholder={placeholder}
            width={60}
            invalid={!!error}
            onChange={(e) => onChange(e.currentTarget.value === '' ? undefined : e.currentTarget.value)}
          />
        );
    }
  }

  return (
    <Field
      label={setting.title || setting.key}
      description={[setting.description, hostNote].filter(Boolean).join(' ') || undefined}
      required={setting.required}
      invalid={!!error}
      error={error}
      htmlFor={id}
    >
      {control}
    </Field>
  );
}

interface DescribedProps extends SecretProps {
  settings: SettingDescriptor[];
  jsonData: QuarryOptions;
  onJsonChange: (key: string, value: unknown) => void;
  hostErrors?: Record<string, string | undefined>;
}

/** What the host does with a jsonData key a module setting shares with it. */
const HOST_ROLES: Record<string, string> = {
  endpoint: '(The host also allows HTTP to this origin and attaches granted secrets to it.)',
};

/** The module's settings as its descriptor declares them. */
export function DescribedSettings({ settings, jsonData, onJsonChange, hostErrors, ...secrets }: DescribedProps) {
  if (settings.length === 0) {
    return <p>This module has no settings.</p>;
  }
  return (
    <>
      {settings.map((s) => (
        <SettingField
          key={s.key}
          setting={s}
          value={jsonData[s.key]}
          onChange={(v) => onJsonChange(s.key, v)}
          hostError={hostErrors?.[s.key]}
          hostNote={(HOST_KEYS as readonly string[]).includes(s.key) ? HOST_ROLES[s.key] : undefined}
          {...secrets}
        />
      ))}
    </>
  );
}

/** The module's part of jsonData: everything but the host's keys. */
export function moduleJsonData(jsonData: QuarryOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(jsonData ?? {})) {
    if (!(HOST_KEYS as readonly string[]).includes(k)) {
      out[k] = v;
    }
  }
  return out;
}

interface UndescribedProps extends SecretProps {
  jsonData: QuarryOptions;
  onModuleJsonChange: (moduleJson: Record<string, unknown>) => void;
}

/** For modules without a descriptor: the module's jsonData as JSON, and secure settings by name. */
export function UndescribedSettings({ jsonData, onModuleJsonChange, ...secrets }: UndescribedProps) {
  const styles = useStyles2(getStyles);
  const [newKey, setNewKey] = useState('');
  const [extraKeys, setExtraKeys] = useState<string[]>([]);
  const keys = Array.from(
    new Set([...Object.keys(secrets.secureJsonFields ?? {}), ...Object.keys(secrets.secureJsonData ?? {}), ...extraKeys])
  );
  return (
    <>
      <Field
        label="Module settings (JSON)"
        description="Everything in jsonData except the host's keys above. Applied when you leave the editor."
      >
        <JsonObjectEditor id="quarry-module-json" value={moduleJsonData(jsonData)} onChange={onModuleJsonChange} />
      </Field>
      <div className={styles.secrets}>
        {keys.map((key) => (
          <Field key={key} label={`Secret ${key}`} htmlFor={`quarry-secret-${key}`}>
            <SecretInput
              id={`quarry-secret-${key}`}
              isConfigured={secrets.secureJsonFields?.[key] === true}
              value={secrets.secureJsonData?.[key] ?? ''}
              width={60}
              onChange={(e) => secrets.onSecretChange(key, e.currentTarget.value)}
              onReset={() => secrets.onSecretReset(key)}
            />
          </Field>
        ))}
        <div className={styles.addSecret}>
          <Input
            aria-label="New secret name"
            placeholder="secret name, e.g. apiKey"
            width={30}
            value={newKey}
            onChange={(e) => setNewKey(e.currentTarget.value)}
          />
          <Button
            variant="secondary"
            icon="plus"
            type="button"
            disabled={!/^[A-Za-z0-9_.-]+$/.test(newKey) || keys.includes(newKey)}
            onClick={() => {
              setExtraKeys([...extraKeys, newKey]);
              setNewKey('');
            }}
          >
            Add secret
          </Button>
        </div>
      </div>
    </>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  secrets: css({ marginTop: theme.spacing(1) }),
  addSecret: css({ display: 'flex', gap: theme.spacing(1), alignItems: 'center' }),
});
