import type { RequestContext } from '../context.js';
import type { OrderItem } from '../schema/types/order-item.type.js';

/** Order.items for every order of the request in one statement. */
export function loadOrderItems(ctx: RequestContext, orderId: number): Promise<OrderItem[]> {
  return ctx.loaders
    .get<number, OrderItem[]>('itemsByOrder', '', async (orderIds) => {
      const rows = await ctx.readDb
        .selectFrom('order_items')
        .select(['order_id', 'product_id', 'quantity', 'unit_price'])
        .where('order_id', '=', (eb) => eb.fn.any(eb.val([...orderIds])))
        .orderBy('id')
        .execute();
      const byOrder = new Map<number, OrderItem[]>();
      for (const r of rows) {
        const items = byOrder.get(r.order_id) ?? [];
        items.push({
          productId: r.product_id,
          quantity: r.quantity,
          unitPrice: r.unit_price,
          lineTotal: Math.round(r.quantity * r.unit_price * 100) / 100,
        });
        byOrder.set(r.order_id, items);
      }
      return orderIds.map((id) => byOrder.get(id) ?? []);
    })
    .load(orderId);
}
