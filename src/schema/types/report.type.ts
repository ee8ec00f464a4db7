import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DateTimeScalar, JSONScalar } from '../scalars/index.js';

export enum ReportKind {
  DAILY_SALES = 'DAILY_SALES',
  PRODUCT_PERFORMANCE = 'PRODUCT_PERFORMANCE',
  INVENTORY = 'INVENTORY',
}
registerEnumType(ReportKind, {
  name: 'ReportKind',
  description:
    'DAILY_SALES: revenue per day and store; PRODUCT_PERFORMANCE: units, revenue and margin per product; INVENTORY: stock per store and product',
});

@ObjectType({ simpleResolvers: true, description: 'A report built by a generateReport job, as CSV' })
export class Report {
  @Field(() => ID) id!: string;
  @Field(() => ReportKind) kind!: ReportKind;
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => Int, { description: 'Data rows (the header not counted)' }) rows!: number;
  @Field(() => String, { description: 'RFC 4180 CSV with a header line' }) csv!: string;
  @Field(() => JSONScalar, { description: '{ range, storeIds } it was built for' }) params!: unknown;
}
