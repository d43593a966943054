import { css } from '@emotion/css';
import { DataSourcePluginOptionsEditorProps, GrafanaTheme2 } from '@grafana/data';
import { LoadingPlaceholder, useStyles2 } from '@grafana/ui';
import React, { useEffect, useMemo, useState } from 'react';

import { errorMessage, fetchModules } from '../api';
import { HOST_KEYS, ModuleInfo, QuarryOptions, QuarrySecureOptions, SecretGrant } from '../types';
import { validateHost } from '../validation';
import { HostSettings } from './HostSettings';
import { ModulePicker } from './ModulePicker';
import { DescribedSettings, UndescribedSettings } from './ModuleSettings';
import { SecretGrants } from './SecretGrants';

export type ConfigEditorProps = DataSourcePluginOptionsEditorProps<QuarryOptions, QuarrySecureOptions>;

interface ModulesState {
  loading: boolean;
  modules: ModuleInfo[];
  error?: string;
}

/** Loads `_quarry/modules` for the datasource being edited. */
function useModules(uid: string | undefined): ModulesState {
  const [state, setState] = useState<ModulesState>({ loading: true, modules: [] });
  useEffect(() => {
    let cancelled = false;
    if (!uid) {
      setState({ loading: false, modules: [], error: 'The datasource has no uid yet' });
      return;
    }
    setState((s) => ({ ...s, loading: true }));
    fetchModules(uid).then(
      (res) => !cancelled && setState({ loading: false, modules: res.modules }),
      (err) => !cancelled && setState({ loading: false, modules: [], error: errorMessage(err) })
    );
    return () => {
      cancelled = true;
    };
  }, [uid]);
  return state;
}

export function ConfigEditor({ options, onOptionsChange }: ConfigEditorProps) {
  const styles = useStyles2(getStyles);
  const jsonData: QuarryOptions = useMemo(() => options.jsonData ?? {}, [options.jsonData]);
  const { loading, modules, error: modulesError } = useModules(options.uid);
  const selected = modules.find((m) => m.name === jsonData.module);
  const descriptor = selected?.descriptor ?? null;
  const hostErrors = validateHost(options.url, jsonData);
  // Host keys the descriptor also declares as module settings (the contract's http-api declares
  // `endpoint`): shown once, in the module's section, with the host's validation.
  const sharedKeys = (descriptor?.settings ?? [])
    .filter((s) => !s.secret && (HOST_KEYS as readonly string[]).includes(s.key))
    .map((s) => s.key);

  const setJson = (key: string, value: unknown) => {
    const next: Record<string, unknown> = { ...jsonData };
    if (value === undefined) {
      delete next[key];
    } else {
      next[key] = value;
    }
    onOptionsChange({ ...options, jsonData: next as QuarryOptions });
  };

  const setModuleJson = (moduleJson: Record<string, unknown>) => {
    const next: Record<string, unknown> = {};
    for (const k of HOST_KEYS) {
      if (jsonData[k] !== undefined) {
        next[k] = jsonData[k];
      }
    }
    for (const [k, v] of Object.entries(moduleJson)) {
      if (!(HOST_KEYS as readonly string[]).includes(k)) {
        next[k] = v;
      }
    }
    onOptionsChange({ ...options, jsonData: next as QuarryOptions });
  };

  const setSecret = (key: string, value: string) => {
    onOptionsChange({ ...options, secureJsonData: { ...(options.secureJsonData ?? {}), [key]: value } });
  };

  const resetSecret = (key: string) => {
    onOptionsChange({
      ...options,
      secureJsonFields: { ...(options.secureJsonFields ?? {}), [key]: false },
      secureJsonData: { ...(options.secureJsonData ?? {}), [key]: '' },
    });
  };

  const secretProps = {
    secureJsonData: options.secureJsonData as Record<string, string> | undefined,
    secureJsonFields: options.secureJsonFields,
    onSecretChange: setSecret,
    onSecretReset: resetSecret,
  };

  // Grants: one per secret the module declares, plus every other secure key Grafana reports.
  const secretKeys: Array<{ key: string; title: string }> = [];
  const addSecretKey = (key: string, title: string) => {
    if (!secretKeys.some((s) => s.key === key)) {
      secretKeys.push({ key, title });
    }
  };
  for (const s of descriptor?.settings ?? []) {
    if (s.secret) {
      addSecretKey(s.key, s.title || s.key);
    }
  }
  for (const key of Object.keys(options.secureJsonFields ?? {})) {
    addSecretKey(key, key);
  }
  for (const [key, value] of Object.entries(options.secureJsonData ?? {})) {
    if (value) {
      addSecretKey(key, key);
    }
  }
  for (const key of Object.keys(jsonData.secretGrants ?? {})) {
    addSecretKey(key, key);
  }

  return (
    <div className={styles.editor}>
      <section aria-labelledby="quarry-host-heading">
        <h3 id="quarry-host-heading" className={styles.heading}>
          Quarry host
        </h3>
        <p className={styles.sectionDescription}>
          What the host lets this datasource's module do. The module cannot change these.
        </p>
        <ModulePicker
          modules={modules}
          loading={loading}
          loadError={modulesError}
          value={jsonData.module}
          error={hostErrors.module}
          onChange={(m) => setJson('module', m || undefined)}
        />
        <HostSettings
          url={options.url ?? ''}
          jsonData={jsonData}
          errors={hostErrors}
          onUrlChange={(url) => onOptionsChange({ ...options, url })}
          onJsonChange={setJson}
          sharedKeys={sharedKeys}
        />
      </section>

      {secretKeys.length > 0 && (
        <section aria-labelledby="quarry-grants-heading">
          <h3 id="quarry-grants-heading" className={styles.heading}>
            Secret grants
          </h3>
          <SecretGrants
            secrets={secretKeys}
            grants={jsonData.secretGrants}
            onChange={(grants?: Record<string, SecretGrant>) => setJson('secretGrants', grants)}
          />
        </section>
      )}

      {jsonData.module && (
        <section aria-labelledby="quarry-module-heading">
          <h3 id="quarry-module-heading" className={styles.heading}>
            Module settings: {jsonData.module}
          </h3>
          {descriptor ? (
            <DescribedSettings
              settings={descriptor.settings ?? []}
              jsonData={jsonData}
              onJsonChange={setJson}
              hostErrors={hostErrors as Record<string, string | undefined>}
              {...secretProps}
            />
          ) : loading ? (
            <LoadingPlaceholder text="Loading the module's description…" />
          ) : (
            <UndescribedSettings jsonData={jsonData} onModuleJsonChange={setModuleJson} {...secretProps} />
          )}
        </section>
      )}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  editor: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(3), maxWidth: theme.spacing(110) }),
  heading: css({ fontSize: theme.typography.h4.fontSize, marginBottom: theme.spacing(1) }),
  sectionDescription: css({ color: theme.colors.text.secondary, marginBottom: theme.spacing(2) }),
});
