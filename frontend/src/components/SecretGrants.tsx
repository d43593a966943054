import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Field, Switch, useStyles2 } from '@grafana/ui';
import React from 'react';

import { SecretGrant } from '../types';
import { validateOrigin } from '../validation';
import { StringListInput } from './widgets';

interface Props {
  /** Secure setting keys to show grants for, with a display title. */
  secrets: Array<{ key: string; title: string }>;
  grants: Record<string, SecretGrant> | undefined;
  onChange: (grants: Record<string, SecretGrant> | undefined) => void;
}

/** Drops fields that equal the default, and grants that are entirely default. */
function normalise(grant: SecretGrant): SecretGrant | undefined {
  const out: SecretGrant = {};
  if (grant.read) {
    out.read = true;
  }
  if (grant.attachTo && grant.attachTo.length > 0) {
    out.attachTo = grant.attachTo;
  }
  return Object.keys(out).length ? out : undefined;
}

/**
 * The operator's grant per secret: may the module read the value, and to which origins may the host
 * attach it as a credential (default: only the origin of the URL / endpoint).
 */
export function SecretGrants({ secrets, grants, onChange }: Props) {
  const styles = useStyles2(getStyles);
  if (secrets.length === 0) {
    return null;
  }
  const update = (key: string, patch: Partial<SecretGrant>) => {
    const next: Record<string, SecretGrant> = { ...(grants ?? {}) };
    const grant = normalise({ ...(next[key] ?? {}), ...patch });
    if (grant) {
      next[key] = grant;
    } else {
      delete next[key];
    }
    onChange(Object.keys(next).length ? next : undefined);
  };

  return (
    <div className={styles.grants}>
      {secrets.map(({ key, title }) => {
        const grant = grants?.[key] ?? {};
        const originErrors = (grant.attachTo ?? []).map(validateOrigin).filter(Boolean);
        return (
          <div className={styles.grant} key={key} data-testid={`quarry-grant-${key}`}>
            <div className={styles.title}>
              {title} <code>{key}</code>
            </div>
            <Field
              label="Module may read the value"
              description="Off (default): the module never sees the secret; the host attaches it to requests."
              horizontal
            >
              <Switch
                id={`quarry-grant-read-${key}`}
                value={grant.read === true}
                onChange={(e) => update(key, { read: e.currentTarget.checked })}
              />
            </Field>
            <Field
              label="Attach as credential to"
              description="Origins (scheme://host[:port]). Empty: only the origin of the URL / endpoint."
              invalid={originErrors.length > 0}
              error={originErrors.join('; ')}
            >
              <StringListInput
                id={`quarry-grant-attach-${key}`}
                value={grant.attachTo}
                placeholder="https://api.example.com:8443"
                width={60}
                invalid={originErrors.length > 0}
                onChange={(attachTo) => update(key, { attachTo })}
              />
            </Field>
          </div>
        );
      })}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  grants: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(1), maxWidth: theme.spacing(100) }),
  grant: css({
    border: `1px solid ${theme.colors.border.weak}`,
    borderRadius: theme.shape.radius.default,
    padding: theme.spacing(1, 2),
  }),
  title: css({ fontWeight: theme.typography.fontWeightMedium, marginBottom: theme.spacing(1) }),
});
