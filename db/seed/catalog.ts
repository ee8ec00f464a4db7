/**
 * The fixed part of the seed: a café chain's catalogue, its cities and its daily
 * rhythms. Everything random is drawn on top of these in seed-database.ts.
 */

export interface CategorySpec {
  name: string;
  skuPrefix: string;
  /** Share of order lines (outside lunch hours). */
  weight: number;
  /** Multiplier on `weight` between 11:00 and 14:59. */
  lunchBoost: number;
  /** unit_cost / unit_price range. */
  costRatio: readonly [number, number];
  /** [name, unit price in cents]; sku order is list order. */
  products: ReadonlyArray<readonly [string, number]>;
}

export const CATEGORIES: readonly CategorySpec[] = [
  {
    name: 'Coffee',
    skuPrefix: 'COF',
    weight: 36,
    lunchBoost: 0.8,
    costRatio: [0.18, 0.3],
    products: [
      ['Espresso', 220],
      ['Double Espresso', 290],
      ['Americano', 280],
      ['Cappuccino', 360],
      ['Latte', 380],
      ['Flat White', 370],
      ['Mocha', 420],
      ['Cortado', 320],
      ['Cold Brew', 400],
      ['Iced Latte', 410],
    ],
  },
  {
    name: 'Tea',
    skuPrefix: 'TEA',
    weight: 8,
    lunchBoost: 0.8,
    costRatio: [0.12, 0.25],
    products: [
      ['English Breakfast Tea', 260],
      ['Earl Grey', 260],
      ['Green Tea', 270],
      ['Chamomile Tea', 260],
      ['Peppermint Tea', 260],
      ['Chai Latte', 390],
      ['Matcha Latte', 440],
      ['Rooibos', 270],
      ['Iced Tea', 320],
      ['Jasmine Tea', 280],
    ],
  },
  {
    name: 'Pastries',
    skuPrefix: 'PAS',
    weight: 18,
    lunchBoost: 0.6,
    costRatio: [0.3, 0.42],
    products: [
      ['Croissant', 240],
      ['Pain au Chocolat', 270],
      ['Almond Croissant', 330],
      ['Cinnamon Roll', 320],
      ['Blueberry Muffin', 290],
      ['Pastel de Nata', 160],
      ['Scone', 250],
      ['Apricot Danish', 300],
      ['Banana Bread', 310],
      ['Sesame Bagel', 280],
    ],
  },
  {
    name: 'Sandwiches',
    skuPrefix: 'SAN',
    weight: 9,
    lunchBoost: 3.2,
    costRatio: [0.35, 0.48],
    products: [
      ['Ham & Cheese Toastie', 590],
      ['Chicken Pesto Panini', 720],
      ['Tuna Melt', 680],
      ['Caprese Ciabatta', 650],
      ['BLT', 640],
      ['Turkey Club', 740],
      ['Egg & Avocado Sourdough', 690],
      ['Falafel Wrap', 620],
      ['Smoked Salmon Bagel', 780],
      ['Croque Monsieur', 690],
    ],
  },
  {
    name: 'Salads',
    skuPrefix: 'SAL',
    weight: 4,
    lunchBoost: 3.5,
    costRatio: [0.33, 0.45],
    products: [
      ['Caesar Salad', 850],
      ['Greek Salad', 820],
      ['Quinoa Bowl', 920],
      ['Chicken Cobb Salad', 950],
      ['Niçoise Salad', 980],
      ['Caprese Salad', 800],
      ['Superfood Bowl', 940],
      ['Couscous Salad', 790],
      ['Lentil & Feta Salad', 830],
      ['Sesame Noodle Salad', 890],
    ],
  },
  {
    name: 'Desserts',
    skuPrefix: 'DES',
    weight: 7,
    lunchBoost: 1,
    costRatio: [0.28, 0.4],
    products: [
      ['Chocolate Brownie', 320],
      ['Carrot Cake', 420],
      ['Baked Cheesecake', 450],
      ['Lemon Tart', 390],
      ['Tiramisu', 480],
      ['Chocolate Chip Cookie', 190],
      ['Macaron Box', 650],
      ['Apple Crumble', 410],
      ['Panna Cotta', 430],
      ['Red Velvet Cake', 460],
    ],
  },
  {
    name: 'Beverages',
    skuPrefix: 'BEV',
    weight: 11,
    lunchBoost: 1.4,
    costRatio: [0.2, 0.4],
    products: [
      ['Still Water', 150],
      ['Sparkling Water', 180],
      ['Fresh Orange Juice', 350],
      ['Apple Juice', 320],
      ['Lemonade', 340],
      ['Berry Smoothie', 490],
      ['Green Smoothie', 520],
      ['Hot Chocolate', 360],
      ['Kombucha', 390],
      ['Cola', 220],
    ],
  },
  {
    name: 'Merchandise',
    skuPrefix: 'MER',
    weight: 1.5,
    lunchBoost: 1,
    costRatio: [0.45, 0.6],
    products: [
      ['Reusable Cup', 1200],
      ['Travel Mug', 1850],
      ['House Blend Beans 250g', 1190],
      ['House Blend Beans 1kg', 3400],
      ['Tote Bag', 950],
      ['Pour-Over Set', 2400],
      ['Ceramic Mug', 1400],
      ['Loose Leaf Tea Tin', 990],
      ['French Press', 2900],
      ['Barista Apron', 2200],
    ],
  },
];

/** City → neighbourhoods; store names are "City Neighbourhood". Cities are used round-robin. */
export const CITIES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['Lisbon', ['Baixa', 'Chiado', 'Alfama', 'Belém', 'Príncipe Real', 'Parque das Nações', 'Campo de Ourique', 'Alcântara']],
  ['Porto', ['Ribeira', 'Bolhão', 'Boavista', 'Cedofeita', 'Foz', 'Aliados', 'Bonfim', 'Matosinhos']],
  ['Madrid', ['Malasaña', 'Chueca', 'Salamanca', 'La Latina', 'Chamberí', 'Lavapiés', 'Retiro', 'Sol']],
  ['Barcelona', ['Gràcia', 'El Born', 'Eixample', 'Barceloneta', 'Poblenou', 'Sant Antoni', 'Sarrià', 'Raval']],
  ['Paris', ['Marais', 'Montmartre', 'Saint-Germain', 'Bastille', 'Batignolles', 'Canal Saint-Martin', 'Opéra', 'Belleville']],
  ['Berlin', ['Mitte', 'Kreuzberg', 'Prenzlauer Berg', 'Neukölln', 'Friedrichshain', 'Charlottenburg', 'Schöneberg', 'Wedding']],
  ['Amsterdam', ['Jordaan', 'De Pijp', 'Oud-West', 'Centrum', 'Oost', 'Noord', 'Zuid', 'Westerpark']],
  ['London', ['Shoreditch', 'Soho', 'Camden', 'Clerkenwell', 'Borough', 'Notting Hill', 'Islington', 'Brixton']],
];

export const LOYALTY_TIERS = ['BRONZE', 'SILVER', 'GOLD', 'PLATINUM'] as const;
export const STATUSES = ['COMPLETED', 'REFUNDED'] as const;
export const CHANNELS = ['IN_STORE', 'ONLINE', 'DELIVERY'] as const;
export const EVENT_TYPES = ['VISIT', 'PAGE_VIEW', 'ADD_TO_CART', 'CHECKOUT'] as const;

/** Relative order volume by UTC weekday, index = Date.getUTCDay() (0 = Sunday). */
export const WEEKDAY_VOLUME = [1.05, 0.9, 0.93, 0.96, 1.0, 1.12, 1.25] as const;

/** Channel shares: weekends bring more delivery. */
export const CHANNEL_MIX = { weekday: [72, 14, 14], weekend: [64, 14, 22] } as const;

/** Share of orders without a customer, by channel (in-store buyers often stay anonymous): ~30% overall. */
export const ANONYMOUS_SHARE = [0.36, 0.12, 0.15] as const;

// Orders by hour of day (UTC), index = hour. In-store: closed 22:00–05:59.
const IN_STORE_WEEKDAY = [0, 0, 0, 0, 0, 0, 3, 8, 12, 10, 6, 7, 11, 10, 6, 5, 5, 5, 4, 3, 2, 1, 0, 0];
const IN_STORE_WEEKEND = [0, 0, 0, 0, 0, 0, 0.5, 2, 5, 8, 11, 11, 10, 10, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0];
const ONLINE = [1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 3, 5, 5, 5, 6, 7, 6, 5, 5, 5, 6, 7, 8, 8, 7, 5, 3];
const DELIVERY = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 5, 10, 9, 4, 2, 2, 3, 6, 9, 8, 5, 2, 0];

/** [channel index][weekend ? 1 : 0] → weights per hour. */
export const HOURS_BY_CHANNEL: ReadonlyArray<readonly [readonly number[], readonly number[]]> = [
  [IN_STORE_WEEKDAY, IN_STORE_WEEKEND],
  [ONLINE, ONLINE],
  [DELIVERY, DELIVERY],
];

/** Behavioural sessions (site and app) follow a blend of in-store and online rhythms. */
export const SESSION_HOURS = ONLINE.map((w, h) => w + IN_STORE_WEEKDAY[h]);

export const LINES_PER_ORDER = [28, 28, 20, 14, 10] as const; // 1..5 lines, mean 2.5
export const QUANTITY = [75, 18, 7] as const; // 1..3

export const VISIT_SOURCES = ['direct', 'organic', 'social', 'email', 'ads'] as const;
export const PAGES = ['/menu', '/menu/coffee', '/menu/food', '/offers', '/stores', '/loyalty'] as const;
