"""Word lists that tell the matcher how much a name token says about identity.

A token's class decides its weight: a listed party is identified by its distinctive words
(`biren`, `moore threads`), hardly by the city, the trade or the legal form around them.
"""

from __future__ import annotations

from types import MappingProxyType

from engine.screening.names import LEGAL_FORMS


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Particles of person and place names: they barely identify, yet a name that lacks one is another name.
PARTICLES = _words("de del la le les el al da di do du van von der den")

# Legal forms beyond the normalisation's own list, their parts, connectives, particles and branch words:
# they barely identify.
MINOR = (
    LEGAL_FORMS
    | PARTICLES
    | _words(
        """
        ojsc cjsc pjsc ojs cjs llp lp lc pc sdn bhd srl spa sarl sas ltda sl fze fzco fzc fzllc pvt kg ab oy
        sro doo ad eood ooo sp zoo bvba sprl nl se sca scs tic sti san vs ve cia sc cv ltee
        liability limitada sociedad anonima societe anonyme aktiengesellschaft gesellschaft mbh
        joint stock open closed public publichnoe otkrytoe zakrytoe aktsionernoe aktsionernoye obshchestvo
        obshestvo ogranichennoi ogranichennoy otvetstvennostyu tovarishchestvo sherkat sherkate sharikat
        youxian gongsi zeren gufen
        the of and for in at on by to a an y et und
        branch office representative subsidiary division unit
        """
    )
)

PLACES = _words(
    """
    china chinese prc zhongguo hong kong hongkong macau macao taiwan
    beijing shanghai shenzhen guangzhou tianjin chongqing wuhan chengdu hangzhou nanjing xian suzhou wuxi
    changsha jinan qingdao dalian shenyang harbin hefei zhengzhou fuzhou xiamen kunming nanning guiyang
    lanzhou taiyuan shijiazhuang changchun nanchang dongguan foshan ningbo zhuhai hainan haikou sanya
    guangdong jiangsu zhejiang shandong hubei hunan sichuan fujian anhui henan hebei shanxi shaanxi
    liaoning jilin heilongjiang yunnan guizhou guangxi xinjiang tibet mongolia ningxia qinghai gansu
    jiangxi mianyang zhongshan huizhou jiaxing changzhou nantong xuzhou yantai weifang tangshan baotou
    urumqi hohhot yinchuan xining lhasa kashgar shantou jiangmen luoyang xiangtan zhuzhou
    russia russian rossii rossiya moscow moskva moskovskaya moskovskiy moskovski petersburg peterburg
    sankt leningrad novosibirsk yekaterinburg ekaterinburg kazan nizhny nizhniy novgorod samara omsk
    rostov ufa krasnoyarsk perm voronezh volgograd tula izhevsk chelyabinsk tomsk sevastopol crimea
    kaliningrad vladivostok khabarovsk irkutsk tver yaroslavl ryazan kaluga bryansk smolensk saratov
    oblast obl krai kray respublika
    iran iranian persia tehran teheran isfahan esfahan shiraz tabriz mashhad karaj qom kish bandar
    ahvaz kerman yazd arak semnan
    belarus minsk ukraine kyiv kiev kharkiv odesa kazakhstan almaty astana uzbekistan tashkent
    armenia yerevan azerbaijan baku georgia tbilisi kyrgyzstan bishkek tajikistan turkmenistan
    korea dprk pyongyang seoul japan tokyo osaka singapore malaysia kuala lumpur thailand bangkok
    vietnam hanoi indonesia jakarta philippines manila india mumbai delhi bangalore pakistan karachi
    lahore islamabad afghanistan kabul myanmar burma yangon
    uae emirates dubai sharjah ajman dhabi turkey turkiye istanbul ankara izmir syria damascus aleppo
    lebanon beirut iraq baghdad jordan amman egypt cairo saudi riyadh jeddah qatar doha oman muscat
    kuwait bahrain yemen sanaa israel libya tripoli sudan khartoum
    germany deutschland france italy spain netherlands holland belgium switzerland swiss austria
    poland czech slovakia hungary romania bulgaria greece cyprus serbia finland sweden norway denmark
    estonia latvia lithuania england britain london
    usa america american canada mexico brazil venezuela caracas cuba havana colombia bogota panama
    peru chile argentina ecuador
    africa nigeria kenya ethiopia zimbabwe
    asia asian pacific europe european eurasia eurasian gulf middle
    """
)

GENERIC = _words(
    """
    technology technologies technological tech techno sci science sciences scientific hitech hi high
    development developments develop intelligent intelligence international internacional global world
    trading trade traders commerce commercial comercial comercializadora business import export
    electronics electronic electric electrical electron microelectronics optoelectronics photonics
    industrial industry industries manufacturing manufacture manufacturer manufacturers factory plant
    works workshop zavod kombinat
    group groups holding holdings investment investments capital finance financial fund trust bank
    research institute institution university college academy school laboratory laboratories lab labs
    center centre centers centres national state federal general central new united union
    engineering engineers information informatics communication communications telecom
    telecommunication telecommunications network networks networking computing computer computers
    compute supercomputing supercomputer system systems service services solution solutions
    equipment machinery machine machines instrument instruments device devices products product
    material materials energy power import logistics shipping shipment transport transportation
    freight cargo express supply supplies enterprise enterprises management consulting consultancy
    resources digital software data cloud micro semiconductor semiconductors integrated circuit
    circuits chip chips optical optics precision automation advanced applied innovation innovative
    smart automotive aviation aerospace aircraft space medical pharmaceutical chemical chemicals
    metal metals steel construction marine ocean agricultural mining oil gas petroleum design
    bureau ministry department organization organisation agency association foundation partners
    associates brothers sons venture ventures cooperative market media education security
    components component parts spare accessories hardware
    east west north south northern southern eastern western far
    first second third
    keji jishu fazhan maoyi jituan dianzi zhineng kexue yanjiusuo daxue guoji shiye zhongxin
    institut tsentr predpriyatie firma torgovy torgovyi nauchno proizvodstvennoe obedinenie kontsern
    npo nii npp npk okb fgup gup kb nic plus
    tekhnologii tekhnologiya kompaniya gosudarstvennoe federalnoe unitarnoe
    sanaye sanayi tejarat bazargani mohandesi ticaret sirketi dis
    """
)

# Given names, family-name particles and the commonest surnames identify a person only weakly.
COMMON_NAMES = _words(
    """
    mohammed muhammad mohammad mohamed muhammed mohamad ahmad ahmed ali hassan hasan hussein husain
    hussain abdul abdel abd abdullah abu bin ibn ben ould bint mahmoud mahmud omar umar ibrahim khalid
    khaled yusuf yousef youssef mustafa mostafa hamid hamed said saeed reza hossein mehdi
    john james michael david robert william richard thomas joseph charles maria jose juan carlos luis
    jorge pedro manuel antonio francisco alexander aleksandr sergei sergey vladimir dmitry andrei
    wang li zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he lin gao luo zheng liang
    xie song tang han feng deng cao peng zeng xiao tian dong pan yuan cai jiang yu du ye cheng wei
    """
)

# Abbreviations and inflections mapped to one form on both sides before comparing.
CANONICAL = MappingProxyType(
    {
        "tech": "technology",
        "techn": "technology",
        "technol": "technology",
        "technologies": "technology",
        "technological": "technology",
        "intl": "international",
        "internat": "international",
        "mfg": "manufacturing",
        "ind": "industry",
        "inds": "industry",
        "indus": "industry",
        "industries": "industry",
        "industrial": "industry",
        "elec": "electronics",
        "electronic": "electronics",
        "eng": "engineering",
        "engg": "engineering",
        "sci": "science",
        "sciences": "science",
        "univ": "university",
        "inst": "institute",
        "natl": "national",
        "dev": "development",
        "devt": "development",
        "grp": "group",
        "hldg": "holding",
        "hldgs": "holding",
        "holdings": "holding",
        "svc": "service",
        "svcs": "service",
        "services": "service",
        "sys": "system",
        "systems": "system",
        "assn": "association",
        "assoc": "association",
        "bros": "brothers",
        "mgmt": "management",
        "info": "information",
        "centre": "center",
        "defence": "defense",
        "organisation": "organization",
        "centres": "center",
        "centers": "center",
        "labs": "laboratory",
        "lab": "laboratory",
        "laboratories": "laboratory",
        "comms": "communication",
        "communications": "communication",
        "telecommunications": "telecommunication",
        "intelligence": "intelligent",
        "computer": "computing",
        "computers": "computing",
        "supercomputer": "supercomputing",
        "semiconductors": "semiconductor",
        "networks": "network",
        "products": "product",
        "devices": "device",
        "instruments": "instrument",
        "materials": "material",
        "solutions": "solution",
        "investments": "investment",
        "enterprises": "enterprise",
        "isfahan": "esfahan",
        "teheran": "tehran",
        "moskva": "moscow",
        "ekaterinburg": "yekaterinburg",
        "centr": "center",
        "tsentr": "center",
    }
)

# Expansions into more than one word.
EXPANSIONS = MappingProxyType(
    {
        "hk": ("hong", "kong"),
        "hongkong": ("hong", "kong"),
        "prc": ("china",),
    }
)
