#!/usr/bin/env python3
"""Write the small code-master files of the natural_masters benchmark into ./files/.

Stdlib + openpyxl only. Deterministic: running it twice gives byte-identical files
(the xlsx zip entries get a fixed timestamp and fixed document properties).

Shapes (each imitating a real download):
  약제급여목록표_20251001.xlsx   HIRA 약제급여목록 및 급여상한금액표: merged title row, blank row, header
                                 (one header cell with a line break), data, blank row, footnote row
  ATC코드_매핑목록_20251001.csv  UTF-8 with BOM, CRLF (re-saved by Excel); blank ATC코드 = no ATC code
  수가마스터_20250101.csv        CP949, CRLF; some scores carry a trailing space
  수가변경_20250801.csv          CP949, CRLF; monthly change file (신설 / 변경 / 삭제)
  상병마스터_20250101.csv        CP949, CRLF; codes without dots, blank attributes, a few trailing spaces
  의약품주성분_20250901.csv      UTF-8 (no BOM), LF; 일반명코드 master

usage: python make_files.py [OUT_DIR]   (default: ./files next to this script)
"""

import csv
import datetime as dt
import io
import re
import sys
import zipfile
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Font

HERE = Path(__file__).resolve().parent

# ----------------------------------------------------------------------------- 약제급여목록표
# 투여, 분류, 주성분코드, 제품코드, 제품명, 업체명, 규격, 단위, 상한금액, 비고
DRUGS = [
    (
        "내복",
        "114",
        "110701ATB",
        "645302132",
        "타이레놀정500밀리그램(아세트아미노펜)",
        "한국존슨앤드존슨판매(유)",
        "500mg",
        "정",
        51,
        "",
    ),
    (
        "내복",
        "114",
        "110702ATR",
        "645302150",
        "타이레놀8시간이알서방정(아세트아미노펜)",
        "한국존슨앤드존슨판매(유)",
        "650mg",
        "정",
        80,
        "",
    ),
    (
        "내복",
        "114",
        "110702ATR",
        "642102570",
        "써스펜8시간이알서방정650밀리그램(아세트아미노펜)",
        "한미약품(주)",
        "650mg",
        "정",
        76,
        "",
    ),
    (
        "내복",
        "114",
        "110702ATR",
        "643304190",
        "타세놀8시간이알서방정(아세트아미노펜)",
        "부광약품(주)",
        "650mg",
        "정",
        73,
        "저가의약품",
    ),
    (
        "내복",
        "114",
        "610401ATB",
        "657400310",
        "펠루비정(펠루비프로펜)",
        "대원제약(주)",
        "30mg",
        "정",
        138,
        "",
    ),
    (
        "내복",
        "218",
        "111501ATB",
        "649805310",
        "리피토정10밀리그램(아토르바스타틴칼슘삼수화물)",
        "한국비아트리스(유)",
        "10mg",
        "정",
        629,
        "상한금액 조정(2025.10.01.)",
    ),
    (
        "내복",
        "218",
        "111502ATB",
        "649805320",
        "리피토정20밀리그램(아토르바스타틴칼슘삼수화물)",
        "한국비아트리스(유)",
        "20mg",
        "정",
        878,
        "",
    ),
    (
        "내복",
        "218",
        "111503ATB",
        "649805330",
        "리피토정40밀리그램(아토르바스타틴칼슘삼수화물)",
        "한국비아트리스(유)",
        "40mg",
        "정",
        1002,
        "",
    ),
    (
        "내복",
        "218",
        "645200ATB",
        "654101370",
        "아토젯정10/10밀리그램",
        "한국오가논(유)",
        "10/10mg",
        "정",
        1019,
        "",
    ),
    (
        "내복",
        "218",
        "498802ATB",
        "641903440",
        "리바로정2밀리그램(피타바스타틴칼슘)",
        "제이더블유중외제약(주)",
        "2mg",
        "정",
        717,
        "",
    ),
    (
        "내복",
        "218",
        "456502ATB",
        "640903080",
        "크레스토정10밀리그램(로수바스타틴칼슘)",
        "한국아스트라제네카(주)",
        "10mg",
        "정",
        660,
        "",
    ),
    (
        "내복",
        "218",
        "647400ATB",
        "642106980",
        "로수젯정10/5밀리그램",
        "한미약품(주)",
        "10/5mg",
        "정",
        1037,
        "",
    ),
    (
        "내복",
        "214",
        "111901ATB",
        "649800470",
        "노바스크정5밀리그램(암로디핀베실산염)",
        "한국비아트리스(유)",
        "5mg",
        "정",
        386,
        "",
    ),
    (
        "내복",
        "214",
        "496801ATB",
        "642100520",
        "아모디핀정(암로디핀캄실산염)",
        "한미약품(주)",
        "5mg",
        "정",
        348,
        "",
    ),
    (
        "내복",
        "214",
        "631500ATB",
        "650400760",
        "트윈스타정40/5밀리그램",
        "한국베링거인겔하임(주)",
        "40/5mg",
        "정",
        702,
        "",
    ),
    (
        "내복",
        "214",
        "617800ATB",
        "645901850",
        "엑스포지정5/80밀리그램",
        "한국노바티스(주)",
        "5/80mg",
        "정",
        720,
        "",
    ),
    (
        "내복",
        "214",
        "247802ATB",
        "645901390",
        "디오반필름코팅정80밀리그램(발사르탄)",
        "한국노바티스(주)",
        "80mg",
        "정",
        476,
        "",
    ),
    (
        "내복",
        "214",
        "184102ATB",
        "654100450",
        "코자정50밀리그램(로사르탄칼륨)",
        "한국오가논(유)",
        "50mg",
        "정",
        489,
        "",
    ),
    (
        "내복",
        "396",
        "191501ATB",
        "643500650",
        "다이아벡스정500밀리그램(메트포르민염산염)",
        "(주)대웅제약",
        "500mg",
        "정",
        97,
        "퇴장방지의약품",
    ),
    (
        "내복",
        "396",
        "191502ATR",
        "650701180",
        "글루코파지엑스알서방정500밀리그램(메트포르민염산염)",
        "머크(주)",
        "500mg",
        "정",
        117,
        "",
    ),
    (
        "내복",
        "396",
        "517903ATB",
        "644902310",
        "자누비아정100밀리그램(시타글립틴인산염수화물)",
        "한국엠에스디(유)",
        "100mg",
        "정",
        635,
        "",
    ),
    (
        "내복",
        "396",
        "621800ATB",
        "644902420",
        "자누메트정50/500밀리그램",
        "한국엠에스디(유)",
        "50/500mg",
        "정",
        449,
        "",
    ),
    (
        "내복",
        "396",
        "617302ATB",
        "640903250",
        "포시가정10밀리그램(다파글리플로진프로판디올수화물)",
        "한국아스트라제네카(주)",
        "10mg",
        "정",
        514,
        "",
    ),
    (
        "내복",
        "396",
        "619201ATB",
        "655801040",
        "제미글로정50밀리그램(제미글립틴타르타르산염)",
        "(주)엘지화학",
        "50mg",
        "정",
        599,
        "",
    ),
    (
        "내복",
        "396",
        "613701ATB",
        "650400880",
        "트라젠타정5밀리그램(리나글립틴)",
        "한국베링거인겔하임(주)",
        "5mg",
        "정",
        639,
        "",
    ),
    (
        "내복",
        "232",
        "456702ATB",
        "640903160",
        "넥시움정40밀리그램(에스오메프라졸마그네슘삼수화물)",
        "한국아스트라제네카(주)",
        "40mg",
        "정",
        848,
        "",
    ),
    (
        "내복",
        "232",
        "682801ATB",
        "659800140",
        "케이캡정50밀리그램(테고프라잔)",
        "에이치케이이노엔(주)",
        "50mg",
        "정",
        1300,
        "",
    ),
    (
        "내복",
        "232",
        "101301ATB",
        "642902640",
        "스티렌정(애엽95%에탄올연조엑스(20→1))",
        "동아에스티(주)",
        "60mg",
        "",
        121,
        "",
    ),
    (
        "내복",
        "232",
        "222901ATB",
        "653800090",
        "무코스타정100밀리그램(레바미피드)",
        "한국오츠카제약(주)",
        "100mg",
        "",
        112,
        "",
    ),
    (
        "내복",
        "618",
        "103701ATB",
        "648601260",
        "오구멘틴정625밀리그램",
        "한국글락소스미스클라인(주)",
        "625mg",
        "정",
        546,
        "",
    ),
    (
        "내복",
        "618",
        "183703ATB",
        "644201510",
        "크라비트정500밀리그램(레보플록사신수화물)",
        "제일약품(주)",
        "500mg",
        "정",
        1079,
        "",
    ),
    (
        "내복",
        "119",
        "147001ATB",
        "652300180",
        "아리셉트정5밀리그램(도네페질염산염)",
        "한국에자이(주)",
        "5mg",
        "정",
        1201,
        "",
    ),
    (
        "내복",
        "119",
        "511402ACH",
        "649805540",
        "리리카캡슐75밀리그램(프레가발린)",
        "한국비아트리스(유)",
        "75mg",
        "캡슐",
        541,
        "",
    ),
    (
        "내복",
        "339",
        "613402ATB",
        "645000870",
        "자렐토정15밀리그램(리바록사반)",
        "바이엘코리아(주)",
        "15mg",
        "정",
        1758,
        "",
    ),
    (
        "내복",
        "339",
        "136901ATB",
        "649300320",
        "플라빅스정75밀리그램(클로피도그렐황산수소염)",
        "사노피-아벤티스코리아(주)",
        "75mg",
        "정",
        1085,
        "",
    ),
    (
        "내복",
        "339",
        "110603ATE",
        "645000310",
        "아스피린프로텍트정100밀리그램",
        "바이엘코리아(주)",
        "100mg",
        "정",
        36,
        "저가의약품",
    ),
    (
        "주사",
        "618",
        "128302BIJ",
        "645100360",
        "로세핀주1그램(세프트리악손나트륨)",
        "한국로슈",
        "1g",
        "병",
        4977,
        "",
    ),
    (
        "주사",
        "618",
        "212602BIJ",
        "645700640",
        "타조신주4.5그램",
        "한국화이자제약(주)",
        "4.5g",
        "병",
        11420,
        "",
    ),
    (
        "주사",
        "396",
        "405001BIJ",
        "649300870",
        "란투스주솔로스타(인슐린글라진)",
        "사노피-아벤티스코리아(주)",
        "3mL",
        "펜",
        13800,
        "",
    ),
    (
        "외용",
        "131",
        "168702CED",
        "657300170",
        "히알레인점안액0.1%(히알루론산나트륨)",
        "한국산텐제약(주)",
        "5mL",
        "병",
        3200,
        "",
    ),
    (
        "외용",
        "264",
        "180102CPC",
        "644201880",
        "케펜텍플라스타(케토프로펜)",
        "제일약품(주)",
        "30mg",
        "",
        182,
        "",
    ),
]

# ----------------------------------------------------------------------------- ATC map (by 주성분코드)
# 주성분코드 -> (ATC코드, ATC코드명); "" = no ATC code assigned
ATC = {
    "110701ATB": ("N02BE01", "paracetamol"),
    "110702ATR": ("N02BE01", "paracetamol"),
    "610401ATB": ("", ""),
    "111501ATB": ("C10AA05", "atorvastatin"),
    "111502ATB": ("C10AA05", "atorvastatin"),
    "111503ATB": ("C10AA05", "atorvastatin"),
    "645200ATB": ("C10BA05", "atorvastatin and ezetimibe"),
    "498802ATB": ("C10AA08", "pitavastatin"),
    "456502ATB": ("C10AA07", "rosuvastatin"),
    "647400ATB": ("C10BA06", "rosuvastatin and ezetimibe"),
    "111901ATB": ("C08CA01", "amlodipine"),
    "496801ATB": ("C08CA01", "amlodipine"),
    "631500ATB": ("C09DB04", "telmisartan and amlodipine"),
    "617800ATB": ("C09DB01", "valsartan and amlodipine"),
    "247802ATB": ("C09CA03", "valsartan"),
    "184102ATB": ("C09CA01", "losartan"),
    "191501ATB": ("A10BA02", "metformin"),
    "191502ATR": ("A10BA02", "metformin"),
    "517903ATB": ("A10BH01", "sitagliptin"),
    "621800ATB": ("A10BD07", "metformin and sitagliptin"),
    "617302ATB": ("A10BK01", "dapagliflozin"),
    "619201ATB": ("A10BH06", "gemigliptin"),
    "613701ATB": ("A10BH05", "linagliptin"),
    "456702ATB": ("A02BC05", "esomeprazole"),
    "682801ATB": ("", ""),
    "101301ATB": ("", ""),
    "222901ATB": ("A02BX14", "rebamipide"),
    "103701ATB": ("J01CR02", "amoxicillin and beta-lactamase inhibitor"),
    "183703ATB": ("J01MA12", "levofloxacin"),
    "147001ATB": ("N06DA02", "donepezil"),
    "511402ACH": ("N03AX16", "pregabalin"),
    "613402ATB": ("B01AF01", "rivaroxaban"),
    "136901ATB": ("B01AC04", "clopidogrel"),
    "110603ATE": ("B01AC06", "acetylsalicylic acid"),
    "128302BIJ": ("J01DD04", "ceftriaxone"),
    "212602BIJ": ("J01CR05", "piperacillin and beta-lactamase inhibitor"),
    "405001BIJ": ("A10AE04", "insulin glargine"),
    "168702CED": ("S01XA20", "artificial tears and other indifferent preparations"),
    "180102CPC": ("M02AA10", "ketoprofen"),
}

# ----------------------------------------------------------------------------- 수가 master
# 분류번호, 수가코드, 한글명, 영문명, 상대가치점수 (text, may carry a trailing space), 적용일자
SUGA = [
    ("가1가(1)", "AA154", "초진진찰료-의원", "Initial Consultation Fee-Clinic", "160.76", "20250101"),
    ("가1가(2)", "AA157", "초진진찰료-병원", "Initial Consultation Fee-Hospital", "171.31", "20250101"),
    ("가1나(1)", "AA254", "재진진찰료-의원", "Follow-up Consultation Fee-Clinic", "115.18", "20250101"),
    ("가1나(2)", "AA257", "재진진찰료-병원", "Follow-up Consultation Fee-Hospital", "121.45", "20250101"),
    ("가2가(3)", "AB220", "입원료-병원", "Hospitalization Fee-Hospital", "479.12", "20250101"),
    ("나1가", "B1010", "혈색소", "Hemoglobin", "7.91 ", "20240101"),
    ("나1나", "B1020", "적혈구용적률", "Hematocrit", "7.91 ", "20240101"),
    ("나1다", "B1040", "백혈구수", "White Blood Cell Count", "8.36", "20240101"),
    ("나1라", "B1050", "혈소판수", "Platelet Count", "8.36", "20240101"),
    ("나2가", "C3711", "AST", "Aspartate Aminotransferase", "13.69", "20240101"),
    ("나2나", "C3712", "ALT", "Alanine Aminotransferase", "13.69", "20240101"),
    ("나2다", "C3750", "포도당 정량", "Glucose, Quantitative", "11.58", "20240101"),
    ("나2라", "C3795", "총콜레스테롤", "Total Cholesterol", "12.05", "20240101"),
    ("나4가", "D2282", "당화혈색소", "Hemoglobin A1c", "57.38", "20240101"),
    ("나7가", "E6541", "심전도검사-표준12유도", "Electrocardiogram-Standard 12 Leads", "78.92", "20250101"),
    ("나7나", "E7611", "상부소화관내시경", "Upper Gastrointestinal Endoscopy", "1051.27", "20250101"),
    ("나7다", "E7660", "대장내시경-전대장", "Colonoscopy-Total Colon", "1732.40", "20250101"),
    ("다1가", "G2101", "흉부 단순촬영-1매", "Chest Radiography-1 View", "62.15", "20240101"),
    ("다2가", "HA441", "전산화단층영상진단-두부", "Computed Tomography-Head", "1034.70", "20250101"),
    ("다2나", "HE101", "자기공명영상진단-뇌", "Magnetic Resonance Imaging-Brain", "2750.11", "20250101"),
    (
        "마1가",
        "KK010",
        "피하 또는 근육내주사",
        "Subcutaneous or Intramuscular Injection",
        "7.78 ",
        "20240101",
    ),
    ("마1나", "KK020", "정맥내 일시주사", "Intravenous Bolus Injection", "10.22", "20240101"),
    ("사1가", "MM010", "표층열치료", "Superficial Heat Therapy", "11.23", "20240101"),
    ("사1나", "MM070", "간섭파전류치료", "Interferential Current Therapy", "14.96", "20240101"),
    (
        "사1다",
        "MM105",
        "경피적전기신경자극치료",
        "Transcutaneous Electrical Nerve Stimulation",
        "14.06",
        "20240101",
    ),
    ("자1가", "M0111", "단순처치", "Simple Dressing", "24.65", "20240101"),
    ("자2가", "N2072", "인공관절치환술-슬관절 전치환", "Total Knee Arthroplasty", "9832.55", "20250101"),
    ("자3가", "Q2860", "충수절제술", "Appendectomy", "4890.15", "20250101"),
    ("자4가", "S5119", "수정체유화술", "Phacoemulsification", "6540.30", "20250101"),
    ("한1가", "40011", "경혈침술", "Acupuncture on Acupoints", "20.97", "20250101"),
    ("한1나", "40091", "전침술", "Electroacupuncture", "27.34", "20250101"),
]

# 변경구분, 적용일자, 수가코드, 한글명, 상대가치점수, 비고
SUGA_CHANGE = [
    ("신설", "20250801", "C5961", "저밀도지단백콜레스테롤 정량", "22.45", "LDL 직접측정"),
    ("신설", "20250801", "EZ871", "연속혈당측정 판독료", "96.30", ""),
    ("신설", "20250801", "AH911", "심층진찰료-상급종합병원", "452.80", "시범사업 본사업 전환"),
    ("변경", "20250801", "AA154", "초진진찰료-의원", "163.82", "상대가치점수 조정"),
    ("변경", "20250801", "E7611", "식도위십이지장내시경", "1051.27", "명칭 변경"),
    ("변경", "20250801", "KK020", "정맥내 일시주사", "10.95", "상대가치점수 조정"),
    ("변경", "20250801", "HE101", "자기공명영상진단-뇌(일반)", "2812.40", "명칭 및 상대가치점수 변경"),
    ("삭제", "20250801", "B1020", "적혈구용적률", "", "B1010 등에 통합"),
    ("삭제", "20250801", "MM070", "간섭파전류치료", "", ""),
    ("삭제", "20250801", "MM105", "경피적전기신경자극치료", "", ""),
]

# ----------------------------------------------------------------------------- 상병마스터
# 상병기호, 한글명, 영문명, 완전코드구분, 성별구분, 상한연령, 하한연령
SANG = [
    (
        "A09",
        "감염성 및 상세불명 기원의 기타 위장염 및 결장염",
        "Other gastroenteritis and colitis of infectious and unspecified origin",
        "불완전",
        "",
        "",
        "",
    ),
    (
        "A090",
        "감염성 기원의 기타 및 상세불명의 위장염 및 결장염",
        "Other and unspecified gastroenteritis and colitis of infectious origin",
        "완전",
        "",
        "",
        "",
    ),
    (
        "A099",
        "상세불명 기원의 위장염 및 결장염",
        "Gastroenteritis and colitis of unspecified origin",
        "완전",
        "",
        "",
        "",
    ),
    ("C50", "유방의 악성 신생물", "Malignant neoplasm of breast", "불완전", "", "", ""),
    (
        "C509",
        "상세불명의 유방의 악성 신생물",
        "Malignant neoplasm of breast, unspecified",
        "완전",
        "",
        "",
        "",
    ),
    ("C53", "자궁경부의 악성 신생물", "Malignant neoplasm of cervix uteri", "불완전", "여", "", ""),
    (
        "C539",
        "상세불명의 자궁경부의 악성 신생물",
        "Malignant neoplasm of cervix uteri, unspecified",
        "완전",
        "여",
        "",
        "",
    ),
    ("C61", "전립선의 악성 신생물", "Malignant neoplasm of prostate", "완전", "남", "", ""),
    ("D259", "상세불명의 자궁의 평활근종", "Leiomyoma of uterus, unspecified", "완전", "여", "", ""),
    ("E11", "2형 당뇨병", "Type 2 diabetes mellitus", "불완전", "", "", ""),
    (
        "E117",
        "다발합병증을 동반한 2형 당뇨병",
        "Type 2 diabetes mellitus with multiple complications",
        "완전",
        "",
        "",
        "",
    ),
    (
        "E119",
        "합병증을 동반하지 않은 2형 당뇨병",
        "Type 2 diabetes mellitus without complications",
        "완전",
        "",
        "",
        "",
    ),
    ("E300", "사춘기지연", "Delayed puberty", "완전", "", "19", "9"),
    ("F00", "알츠하이머병에서의 치매", "Dementia in Alzheimer's disease", "불완전", "", "", ""),
    (
        "F009",
        "상세불명의 알츠하이머병에서의 치매",
        "Dementia in Alzheimer's disease, unspecified",
        "완전",
        "",
        "",
        "",
    ),
    ("G309", "상세불명의 알츠하이머병", "Alzheimer's disease, unspecified", "완전", "", "", ""),
    ("H251", "노년성 핵백내장", "Senile nuclear cataract", "완전", "", "", ""),
    ("I10", "본태성(원발성) 고혈압", "Essential (primary) hypertension", "완전", "", "", ""),
    ("J00", "급성 비인두염[감기]", "Acute nasopharyngitis [common cold]", "완전", "", "", ""),
    ("J20", "급성 기관지염", "Acute bronchitis", "불완전", "", "", ""),
    (
        "J200",
        "마이코플라스마 폐렴균에 의한 급성 기관지염",
        "Acute bronchitis due to Mycoplasma pneumoniae",
        "완전",
        "",
        "",
        "",
    ),
    (
        "J201",
        "헤모필루스 인플루엔자균에 의한 급성 기관지염",
        "Acute bronchitis due to Haemophilus influenzae",
        "완전",
        "",
        "",
        "",
    ),
    (
        "J208",
        "기타 명시된 병원체에 의한 급성 기관지염",
        "Acute bronchitis due to other specified organisms",
        "완전",
        "",
        "",
        "",
    ),
    ("J209 ", "상세불명의 급성 기관지염", "Acute bronchitis, unspecified", "완전", "", "", ""),
    (
        "K210",
        "식도염을 동반한 위-식도역류병",
        "Gastro-oesophageal reflux disease with oesophagitis",
        "완전",
        "",
        "",
        "",
    ),
    (
        "K219",
        "식도염을 동반하지 않은 위-식도역류병",
        "Gastro-oesophageal reflux disease without oesophagitis",
        "완전",
        "",
        "",
        "",
    ),
    ("K297", "상세불명의 위염", "Gastritis, unspecified", "완전", "", "", ""),
    ("M170", "원발성 양측성 무릎관절증", "Primary gonarthrosis, bilateral", "완전", "", "", ""),
    ("M171", "기타 원발성 무릎관절증", "Other primary gonarthrosis", "완전", "", "", ""),
    ("M179 ", "상세불명의 무릎관절증", "Gonarthrosis, unspecified", "완전", "", "", ""),
    ("N40", "전립선증식증", "Hyperplasia of prostate", "완전", "남", "", ""),
    ("N46", "남성불임", "Male infertility", "완전", "남", "", ""),
    ("N911", "이차성 무월경", "Secondary amenorrhoea", "완전", "여", "60", "10"),
    ("N951", "폐경 및 여성 갱년기 상태", "Menopausal and female climacteric states", "완전", "여", "", "35"),
    ("O800", "자연 두위분만", "Spontaneous vertex delivery", "완전", "여", "55", "10"),
    (
        "O809",
        "상세불명의 단일 자연분만",
        "Single spontaneous delivery, unspecified",
        "완전",
        "여",
        "55",
        "10",
    ),
    ("P070", "극단적 저체중 출생아", "Extremely low birth weight", "완전", "", "1", ""),
    ("R54", "노쇠", "Senility", "완전", "", "", "65"),
    (
        "U071",
        "코로나바이러스질환2019[코로나19], 바이러스가 확인된 경우",
        "COVID-19, virus identified",
        "완전",
        "",
        "",
        "",
    ),
    ("Z001", "소아의 일상적 건강검진", "Routine child health examination", "완전", "", "18", ""),
]

# ----------------------------------------------------------------------------- 의약품 주성분
# 일반명코드, 일반명, 제형, 함량, 단위, 투여경로
INGR = [
    ("101301ATB", "artemisia asiatica 95% ethanol soft ext.(20→1)", "정제", "60", "mg", "내복"),
    ("103701ATB", "amoxicillin hydrate/potassium clavulanate", "정제", "625", "mg", "내복"),
    ("110603ATE", "aspirin", "장용정", "100", "mg", "내복"),
    ("110701ATB", "acetaminophen", "정제", "500", "mg", "내복"),
    ("110702ATR", "acetaminophen", "서방형정제", "650", "mg", "내복"),
    ("110703ASY", "acetaminophen", "시럽제", "32", "mg/mL", "내복"),
    ("111501ATB", "atorvastatin calcium trihydrate", "정제", "10", "mg", "내복"),
    ("111502ATB", "atorvastatin calcium trihydrate", "정제", "20", "mg", "내복"),
    ("111503ATB", "atorvastatin calcium trihydrate", "정제", "40", "mg", "내복"),
    ("111901ATB", "amlodipine besylate", "정제", "5", "mg", "내복"),
    ("128302BIJ", "ceftriaxone sodium", "주사제", "1", "g", "주사"),
    ("136901ATB", "clopidogrel bisulfate", "정제", "75", "mg", "내복"),
    ("147001ATB", "donepezil hydrochloride", "정제", "5", "mg", "내복"),
    ("168702CED", "sodium hyaluronate", "점안제", "1", "mg/mL", "외용"),
    ("180102CPC", "ketoprofen", "첩부제", "30", "mg", "외용"),
    ("183703ATB", "levofloxacin hydrate", "정제", "500", "mg", "내복"),
    ("184102ATB", "losartan potassium", "정제", "50", "mg", "내복"),
    ("191501ATB", "metformin hydrochloride", "정제", "500", "mg", "내복"),
    ("191502ATR", "metformin hydrochloride", "서방형정제", "500", "mg", "내복"),
    ("222901ATB", "rebamipide", "정제", "100", "mg", "내복"),
    ("247802ATB", "valsartan", "정제", "80", "mg", "내복"),
    ("405001BIJ", "insulin glargine", "주사제", "100", "단위/mL", "주사"),
    ("456502ATB", "rosuvastatin calcium", "정제", "10", "mg", "내복"),
    ("456702ATB", "esomeprazole magnesium trihydrate", "정제", "40", "mg", "내복"),
    ("496801ATB", "amlodipine camsylate", "정제", "5", "mg", "내복"),
    ("498802ATB", "pitavastatin calcium", "정제", "2", "mg", "내복"),
    ("511402ACH", "pregabalin", "캡슐제", "75", "mg", "내복"),
    ("517903ATB", "sitagliptin phosphate hydrate", "정제", "100", "mg", "내복"),
    ("610401ATB", "pelubiprofen", "정제", "30", "mg", "내복"),
    ("613402ATB", "rivaroxaban", "정제", "15", "mg", "내복"),
    ("613701ATB", "linagliptin", "정제", "5", "mg", "내복"),
    ("617302ATB", "dapagliflozin propanediol hydrate", "정제", "10", "mg", "내복"),
    ("619201ATB", "gemigliptin tartrate sesquihydrate", "정제", "50", "mg", "내복"),
    ("682801ATB", "tegoprazan", "정제", "50", "mg", "내복"),
]

FIXED_TIME = dt.datetime(2025, 10, 1, 9, 0, 0)


def write_csv(path, header, rows, encoding, newline):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=newline)
    w.writerow(header)
    for r in rows:
        w.writerow(r)
    path.write_bytes(buf.getvalue().encode(encoding))


def normalise_zip(path):
    """Rewrite an xlsx with fixed entry timestamps so the bytes are reproducible."""
    with zipfile.ZipFile(path) as z:
        items = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in items:
            if name == "docProps/core.xml":  # openpyxl stamps 'modified' with the current time on save
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>2025-10-01T09:00:00Z\g<2>",
                    data,
                )
            zi = zipfile.ZipInfo(name, date_time=(2025, 10, 1, 9, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, data)


def write_drug_xlsx(path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "급여목록"
    header = [
        "연번",
        "투여",
        "분류",
        "주성분코드",
        "제품코드",
        "제품명",
        "업체명",
        "규격",
        "단위",
        "상한금액\n(원)",
        "비고",
    ]
    ncol = len(header)
    ws.cell(row=1, column=1, value="약제급여목록 및 급여상한금액표 (2025.10.01. 기준)")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
    ws.cell(row=1, column=1).font = Font(bold=True, size=14)
    ws.cell(row=1, column=1).alignment = Alignment(horizontal="center")
    # row 2 left blank
    for j, h in enumerate(header, 1):
        c = ws.cell(row=3, column=j, value=h)
        c.font = Font(bold=True)
        c.alignment = Alignment(wrap_text=True, horizontal="center")
    r = 4
    for n, d in enumerate(DRUGS, 1):
        tu, bun, ju, pc, name, maker, gyu, dan, price, bigo = d
        vals = [n, tu, bun, ju, pc, name, maker, gyu, dan or None, price, bigo or None]
        for j, v in enumerate(vals, 1):
            ws.cell(row=r, column=j, value=v)
        ws.cell(row=r, column=10).number_format = "#,##0"
        r += 1
    r += 1  # blank row
    ws.cell(
        row=r, column=1, value="※ 상한금액 단위: 원, 고시 기준일 2025.10.01. 이후 변경분은 별도 고시 참조"
    )
    for col, w in zip("ABCDEFGHIJK", [6, 6, 6, 12, 12, 48, 28, 10, 6, 10, 26], strict=True):
        ws.column_dimensions[col].width = w

    guide = wb.create_sheet("작성요령")
    guide["A1"] = "약제급여목록표 이용 안내"
    guide["A3"] = "1. 상한금액은 원 단위이며 부가가치세 포함 금액임"
    guide["A4"] = "2. 주성분코드는 일반명코드(9자리)임"
    guide["A5"] = "3. 비고란의 '저가의약품', '퇴장방지의약품'은 해당 고시 기준에 따름"

    wb.properties.creator = "HIRA"
    wb.properties.lastModifiedBy = "HIRA"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.save(path)
    normalise_zip(path)


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "files"
    out.mkdir(parents=True, exist_ok=True)

    write_drug_xlsx(out / "약제급여목록표_20251001.xlsx")

    # ATC map: sorted by 주성분코드 then 제품코드 (a different order than the price list)
    atc_rows = []
    for d in sorted(DRUGS, key=lambda d: (d[2], d[3])):
        code, cname = ATC[d[2]]
        atc_rows.append((d[2], d[3], d[4], code, cname))
    write_csv(
        out / "ATC코드_매핑목록_20251001.csv",
        ["주성분코드", "제품코드", "제품명", "ATC코드", "ATC코드명"],
        atc_rows,
        "utf-8-sig",
        "\r\n",
    )

    write_csv(
        out / "수가마스터_20250101.csv",
        ["분류번호", "수가코드", "한글명", "영문명", "상대가치점수", "적용일자"],
        SUGA,
        "cp949",
        "\r\n",
    )

    write_csv(
        out / "수가변경_20250801.csv",
        ["연번", "변경구분", "적용일자", "수가코드", "한글명", "상대가치점수", "비고"],
        [(i, *r) for i, r in enumerate(SUGA_CHANGE, 1)],
        "cp949",
        "\r\n",
    )

    write_csv(
        out / "상병마스터_20250101.csv",
        ["상병기호", "한글명", "영문명", "완전코드구분", "성별구분", "상한연령", "하한연령"],
        SANG,
        "cp949",
        "\r\n",
    )

    write_csv(
        out / "의약품주성분_20250901.csv",
        ["일반명코드", "일반명", "제형", "함량", "단위", "투여경로"],
        INGR,
        "utf-8",
        "\n",
    )
    for p in sorted(out.iterdir()):
        print(f"{p.name}: {p.stat().st_size} bytes")


if __name__ == "__main__":
    main()
