import { DataSourcePlugin } from '@grafana/data';

import { ConfigEditor } from './components/ConfigEditor';
import { QueryEditor } from './components/QueryEditor';
import { QuarryDataSource } from './datasource';
import { QuarryOptions, QuarryQuery, QuarrySecureOptions } from './types';

export const plugin = new DataSourcePlugin<QuarryDataSource, QuarryQuery, QuarryOptions, QuarrySecureOptions>(QuarryDataSource)
  .setConfigEditor(ConfigEditor)
  .setQueryEditor(QueryEditor);
