import { QueryEditorProps } from '@grafana/data';
import React from 'react';

import type { QuarryDataSource } from '../datasource';
import { QuarryOptions, QuarryQuery } from '../types';
import { QuarryQueryEditor } from './QueryEditor';

/** A query variable is an ordinary module query with queryType = the descriptor's variableQueryType. */
export function VariableQueryEditor(props: QueryEditorProps<QuarryDataSource, QuarryQuery, QuarryOptions>) {
  return <QuarryQueryEditor {...props} purpose="variable" />;
}
