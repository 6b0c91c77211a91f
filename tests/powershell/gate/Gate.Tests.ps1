# The PowerShell gate (Gate.ps1) over every static module and entry file, the per-server files a
# bundle renders, and a fixture per rule that proves the gate catches it.

BeforeDiscovery {
    $repo = (Get-Item -LiteralPath (Join-Path $PSScriptRoot '../../..')).FullName
    $suite = (Get-Item -LiteralPath (Join-Path $PSScriptRoot '..')).FullName   # tests/powershell
    $runtime = Join-Path $repo 'runtime'
    $module = Join-Path $runtime 'WslPortProxy'
    $script:ModuleFiles = @(Get-ChildItem -LiteralPath $module -Recurse -File -Include '*.ps1', '*.psm1' |
            Sort-Object FullName | ForEach-Object { @{ Path = $_.FullName; Name = $_.FullName.Substring($module.Length + 1) } })
    $script:EntryFiles = @(@(Get-ChildItem -LiteralPath $runtime -File -Filter '*.ps1') +
        @(Get-ChildItem -LiteralPath (Join-Path $runtime 'fleet') -File -Filter '*.ps1') |
            ForEach-Object { @{ Path = $_.FullName; Name = $_.Name } })
    $script:SnippetFiles = @(Get-ChildItem -LiteralPath (Join-Path $runtime 'fleet/files') -File -Filter '*.ps1' |
            ForEach-Object { @{ Path = $_.FullName; Name = $_.Name } })
    $script:TestFiles = @(Get-ChildItem -LiteralPath $suite -Recurse -Filter '*.Tests.ps1' |
            ForEach-Object { @{ Path = $_.FullName; Name = $_.FullName.Substring($suite.Length + 1) } })
    $script:Fixtures = @(Get-ChildItem -LiteralPath (Join-Path $PSScriptRoot 'fixtures') -Filter '*.ps1' |
            ForEach-Object { @{ Path = $_.FullName; Rule = $_.BaseName.Split('.')[0]; Name = $_.Name } })
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Gate.ps1')
    $module = Join-Path $PSScriptRoot '../../../runtime/WslPortProxy'
    $script:Exported = @((Import-PowerShellDataFile -LiteralPath (Join-Path $module 'WslPortProxy.psd1')).FunctionsToExport)
    $script:Constant = Get-ModuleConstant -ModuleFile (Join-Path $module 'WslPortProxy.psm1')
}

Describe 'Module file <Name>' -ForEach $script:ModuleFiles {
    It 'passes every rule of the gate' {
        Get-GateViolation -Path $Path -Kind Module -Exported $script:Exported -Constant $script:Constant |
            ForEach-Object { "$($_.Rule) (line $($_.Line)): $($_.Text)" } | Should -BeNullOrEmpty
    }
}

Describe 'Entry script <Name>' -ForEach $script:EntryFiles {
    It 'passes every rule of the gate' {
        Get-GateViolation -Path $Path -Kind Entry | ForEach-Object { "$($_.Rule) (line $($_.Line)): $($_.Text)" } |
            Should -BeNullOrEmpty
    }
}

Describe 'Fleet snippet <Name>' -ForEach $script:SnippetFiles {
    It 'passes every rule of the gate' {
        Get-GateViolation -Path $Path -Kind Snippet | ForEach-Object { "$($_.Rule) (line $($_.Line)): $($_.Text)" } |
            Should -BeNullOrEmpty
    }
}

Describe 'The module' {
    It 'exports exactly the commands of its manifest, each with help and examples' {
        $loaded = Import-Module (Join-Path $PSScriptRoot '../../../runtime/WslPortProxy/WslPortProxy.psd1') -Force -PassThru
        try {
            @($loaded.ExportedFunctions.Keys | Sort-Object) | Should -Be @($script:Exported | Sort-Object)
            foreach ($name in $script:Exported) {
                $help = Get-Help -Name $name -Full
                $help.Synopsis | Should -Not -BeNullOrEmpty -Because $name
                @($help.examples.example).Count | Should -BeGreaterThan 0 -Because $name
            }
        }
        finally {
            Remove-Module -ModuleInfo $loaded
        }
    }

    It 'declares its constants once, and only constants' {
        $script:Constant.Count | Should -BeGreaterThan 5
        $text = Get-Content -Raw (Join-Path $PSScriptRoot '../../../runtime/WslPortProxy/WslPortProxy.psm1')
        ([regex]::Matches($text, '(?m)^\$script:')).Count | Should -Be 0
    }
}

Describe 'The module''s help' {
    BeforeAll {
        # Where Windows finds it: a module folder on PSModulePath, its about topic in en-US\.
        $modules = Join-Path $TestDrive 'Modules'
        New-Item -ItemType Directory -Path $modules | Out-Null
        Copy-Item -LiteralPath (Join-Path $PSScriptRoot '../../../runtime/WslPortProxy') -Destination $modules -Recurse
        $script:SavedModulePath = $env:PSModulePath
        $env:PSModulePath = $modules + [IO.Path]::PathSeparator + $env:PSModulePath
        $script:Loaded = Import-Module -Name WslPortProxy -Force -PassThru
    }

    AfterAll {
        Remove-Module -ModuleInfo $script:Loaded
        $env:PSModulePath = $script:SavedModulePath
    }

    It 'names each command''s output types under .OUTPUTS, with their properties' {
        foreach ($name in $script:Exported) {
            $outputs = (Get-Help -Name $name -Full).returnValues | Out-String
            foreach ($declared in (Get-Command -Name $name).OutputType) {
                $type = if ($declared.Type) { $declared.Type.FullName } else { $declared.Name }
                $outputs | Should -Match ('(?m)^\s*' + [regex]::Escape($type) + '\s*$') -Because "$name returns $type"
            }
            $outputs | Should -Match '(?m)^\s+\w+\s{2,}\S' -Because "$name lists the properties it returns"
        }
    }

    It 'links each command to exported commands and to about_WslPortProxy under .LINK' {
        foreach ($name in $script:Exported) {
            $links = @((Get-Help -Name $name -Full).relatedLinks.navigationLink | ForEach-Object { $_.linkText })
            $links | Should -Contain 'about_WslPortProxy' -Because $name
            @($links | Where-Object { $_ -ne 'about_WslPortProxy' -and $_ -notin $script:Exported }) |
                Should -BeNullOrEmpty -Because "$name links only to commands that exist"
            @($links | Where-Object { $_ -ne 'about_WslPortProxy' }).Count | Should -BeGreaterThan 0 -Because $name
        }
    }

    It 'gives an overview as about_WslPortProxy that names every exported command' {
        $topic = Get-Help -Name about_WslPortProxy | Out-String
        $topic | Should -Match 'about_WslPortProxy'
        foreach ($name in $script:Exported) {
            $topic | Should -Match ([regex]::Escape($name)) -Because 'the overview lists every command'
        }
    }
}

Describe 'Rendered settings files' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '../sim/SimulatedWindows.ps1')
        . (Join-Path $PSScriptRoot '../TestHelpers.ps1')
        $script:Dist = New-TestBundle -Inventory (Get-Content -Raw -LiteralPath (Join-Path $PSScriptRoot '../../../examples/inventory.yaml'))
        $script:SettingsPath = Join-Path $script:Dist 'WEB-01/WslPortProxy.Settings.psd1'
    }

    It 'are data: Import-PowerShellDataFile reads them (it evaluates no expression)' {
        $data = Import-PowerShellDataFile -LiteralPath $script:SettingsPath
        $data.SchemaVersion | Should -Be 4
        $data.Server | Should -BeExactly 'WEB-01'
        @($data.Ports) | Should -HaveCount 4
    }

    It 'stay within Import-PowerShellDataFile''s limits for the largest server the validator accepts' {
        # The limits come from the generator (wsl_portproxy/constraints.py): one source of truth.
        $python = Get-SimPython
        $limits = & $python -c 'from wsl_portproxy import constraints as c; print(c.MAX_PORT_ENTRIES, c.MAX_ALLOW_FROM)'
        $entries, $addresses = "$limits".Split(' ') | ForEach-Object { [int] $_ }
        $allow = (1..$addresses | ForEach-Object { "'10.$_.0.0/16'" }) -join ', '
        $ports = (1..$entries | ForEach-Object { "      - {listen: $(1000 + $_), connect: $(2000 + $_), listen_address: 192.168.100.200, allow_from: [$allow]}" }) -join "`n"
        $dist = New-TestBundle -Inventory "servers:`n  - name: WEB-01`n    run_as: CORP\svc-podman`n    ports:`n$ports`n"
        $path = Join-Path $dist 'WEB-01/WslPortProxy.Settings.psd1'
        $data = Import-PowerShellDataFile -LiteralPath $path
        @($data.Ports) | Should -HaveCount $entries
        @($data.Ports[-1].AllowFrom) | Should -HaveCount $addresses

        # The limit is real: the same shape at twice the size is refused (in 5.1 and, without
        # -SkipLimitCheck, in PowerShell 7).
        $lines = Get-Content -LiteralPath $path
        $portLines = @($lines | Where-Object { $_ -match '^\s+@\{ ListenAddress' })
        $doubled = $lines.Replace($portLines[-1], ($portLines + $portLines) -join "`r`n")
        $big = Join-Path $TestDrive 'big.psd1'
        Set-Content -LiteralPath $big -Value $doubled
        { Import-PowerShellDataFile -LiteralPath $big } | Should -Throw
    }

    It 'are UTF-8 with BOM and CRLF line ends' {
        $bytes = [System.IO.File]::ReadAllBytes($script:SettingsPath)
        $bytes[0..2] | Should -Be @(0xEF, 0xBB, 0xBF)
        ([System.Text.Encoding]::UTF8.GetString($bytes) -replace "`r`n", '') | Should -Not -Match "[`r`n]"
    }
}

Describe 'The gate itself: fixture <Name>' -ForEach $script:Fixtures {
    It 'flags exactly its rule, <Rule>' {
        $kind = 'Module'
        if ($Rule -eq 'EntryScript') { $kind = 'Entry' }
        if ($Rule -eq 'Snippet') { $kind = 'Snippet' }
        $expected = $Rule
        if ($Rule -eq 'SevenOnlySyntax' -and $PSVersionTable.PSVersion.Major -lt 7) { $expected = 'ParseError' }
        $found = @(Get-GateViolation -Path $Path -Kind $kind -Exported @('Get-Exported') -Constant @('WslppAllowed'))
        $found.Count | Should -BeGreaterThan 0
        @($found | ForEach-Object { $_.Rule } | Sort-Object -Unique) | Should -Be @($expected)
    }
}

Describe 'Pester file <Name>' -ForEach $script:TestFiles {
    It 'asserts something in every It' {
        $ast = [System.Management.Automation.Language.Parser]::ParseFile($Path, [ref] $null, [ref] $null)
        Get-AssertionlessTest -Ast $ast | ForEach-Object { "line $($_.Line): $($_.Text)" } | Should -BeNullOrEmpty
    }
}

Describe 'The assertion rule' {
    It 'flags an It that calls no Should, and only that one' {
        $source = @'
Describe 'x' {
    It 'asserts' { 1 | Should -Be 1 }
    It 'only runs code' { $null = 1 + 1 }
}
'@
        $ast = [System.Management.Automation.Language.Parser]::ParseInput($source, [ref] $null, [ref] $null)
        @(Get-AssertionlessTest -Ast $ast | ForEach-Object { $_.Text }) | Should -Be @("It 'only runs code' calls no Should")
    }
}

Describe 'The 5.1 syntax rule' {
    # Windows PowerShell 5.1 cannot parse these at all, which is the gate there.
    It 'finds ternary, ??, ??=, ?., && and -Parallel' -Skip:($PSVersionTable.PSVersion.Major -lt 7) {
        $source = @'
$a = $b ? 1 : 2
$c = $d ?? 3
$e ??= 4
${f}?.Length
git status && git log
1..2 | ForEach-Object -Parallel { $_ }
'@
        $ast = [System.Management.Automation.Language.Parser]::ParseInput($source, [ref] $null, [ref] $null)
        @(Find-SevenOnlySyntax -Ast $ast) | Should -HaveCount 6
    }
}
