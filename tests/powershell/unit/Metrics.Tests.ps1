# Unit tests: the Prometheus text file for windows_exporter (Private/Metrics.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Unit.ps1')
    function New-Check {
        <# One Get-PortCheck row. #>
        param([int] $Port, [string] $RuleState = 'ok', [string] $Firewall = 'ok', [bool] $Listening = $true)
        [pscustomobject]@{
            Rule = [pscustomobject]@{ ListenAddress = '0.0.0.0'; ListenPort = $Port; ConnectPort = $Port }
            RuleState = $RuleState; Firewall = $Firewall; Listening = $Listening
        }
    }
}

Describe 'ConvertTo-MetricText' {
    It 'writes numbers with the invariant culture on a German server, and promtool accepts the text' {
        $text = InModuleScope WslPortProxy -Parameters @{ Check = @((New-Check 80), (New-Check 443 -RuleState 'missing' -Firewall 'disabled' -Listening $false)) } {
            param($Check)
            $saved = [System.Threading.Thread]::CurrentThread.CurrentCulture
            try {
                [System.Threading.Thread]::CurrentThread.CurrentCulture = [cultureinfo] 'de-DE'
                $settings = [pscustomobject]@{ Server = 'WEB-01'; Distro = 'podman-machine-default' }
                ConvertTo-MetricText -Settings $settings -Check $Check -Address '172.28.1.2' -Success $true `
                    -Finished ([datetime]::new(2026, 12, 1, 18, 0, 0, 250, [System.DateTimeKind]::Utc)) -DurationSeconds 0.25 -Restarts 3
            }
            finally { [System.Threading.Thread]::CurrentThread.CurrentCulture = $saved }
        }
        $text | Should -Match '(?m)^wslportproxy_last_reconcile_duration_seconds\{server="WEB-01"\} 0\.25$'
        $text | Should -Match '(?m)^wslportproxy_last_reconcile_timestamp_seconds\{server="WEB-01"\} 1796148000\.25$'
        $text | Should -Match '(?m)^wslportproxy_wsl_restarts_total\{server="WEB-01"\} 3$'
        $text | Should -Match '(?m)^wslportproxy_port_forwarded\{server="WEB-01",listen_address="0\.0\.0\.0",listen_port="443",connect_port="443"\} 0$'
        $text | Should -Match '(?m)^wslportproxy_port_allowed\{server="WEB-01",listen_address="0\.0\.0\.0",listen_port="443",connect_port="443"\} 0$'
        $text | Should -Match '(?m)^wslportproxy_port_listening\{server="WEB-01",listen_address="0\.0\.0\.0",listen_port="80",connect_port="80"\} 1$'
        $text | Should -Not -Match "`r"
        $text.EndsWith("1`n") | Should -BeTrue
        $check = Test-Promtool -Text $text
        $check.Output | Should -BeExactly ''
        $check.ExitCode | Should -Be 0
    }

    It 'promtool catches a broken value: the decimal comma a culture-bound number would have' {
        $text = InModuleScope WslPortProxy {
            ConvertTo-MetricText -Settings ([pscustomobject]@{ Server = 'WEB-01'; Distro = 'd' }) -Check @() -Address '' `
                -Success $false -Finished (Get-Date) -DurationSeconds 0.25 -Restarts 0
        }
        (Test-Promtool -Text $text).ExitCode | Should -Be 0
        $broken = Test-Promtool -Text $text.Replace('} 0.25', '} 0,25')
        $broken.ExitCode | Should -Not -Be 0
        $broken.Output | Should -Match 'error while linting|text format parsing error'
    }

    It 'escapes backslash, double quote and line feed in label values' {
        InModuleScope WslPortProxy {
            $label = [ordered]@{ a = 'C:\x'; b = 'say "hi"'; c = "one`ntwo" }
            Format-MetricLabel -Label $label | Should -BeExactly '{a="C:\\x",b="say \"hi\"",c="one\ntwo"}'
        }
    }
}

Describe 'Write-MetricsFile' {
    It 'replaces the file as UTF-8 without BOM and leaves no temporary file; -WhatIf writes nothing' {
        $path = Join-Path $TestDrive 'wsl.prom'
        InModuleScope WslPortProxy -Parameters @{ Path = $path } {
            param($Path)
            Write-MetricsFile -Path $Path -Text "a 1`n"
            Write-MetricsFile -Path $Path -Text "ä 2`n"
            Write-MetricsFile -Path $Path -Text "b 3`n" -WhatIf
        }
        [System.IO.File]::ReadAllBytes($path) | Should -Be @(0xC3, 0xA4, 0x20, 0x32, 0x0A)
        @(Get-ChildItem -LiteralPath $TestDrive -Filter '*.tmp') | Should -HaveCount 0
    }
}

Describe 'Update-MetricsFile' {
    It 'does nothing when the settings name no metrics file' {
        InModuleScope WslPortProxy {
            Mock Get-PortCheck { }
            Mock Write-MetricsFile { }
            $log = [pscustomobject]@{ Warned = @{} }
            Update-MetricsFile -Settings ([pscustomobject]@{ MetricsFile = $null }) -Address '1.2.3.4' -Success $true `
                -DurationSeconds 1 -Restarts 0 -Log $log
            Should -Invoke Get-PortCheck -Times 0 -Exactly
            Should -Invoke Write-MetricsFile -Times 0 -Exactly
        }
    }

    It 'checks the ports against the address it is given and writes the file; a failure is warned about once' {
        InModuleScope WslPortProxy {
            Mock Get-PortCheck { }
            Mock Get-WriteTargetProblem { '' }
            Mock Write-MetricsFile { throw 'disk full' }
            Mock Write-Log { }
            $log = [pscustomobject]@{ Warned = @{} }
            $settings = [pscustomobject]@{ MetricsFile = 'X:\m.prom'; Server = 'A'; Distro = 'd' }
            foreach ($run in 1..3) {
                Update-MetricsFile -Settings $settings -Address '1.2.3.4' -Success $true -DurationSeconds 1 -Restarts 0 -Log $log
            }
            Should -Invoke Get-PortCheck -Times 3 -Exactly -ParameterFilter { $Address -eq '1.2.3.4' }
            Should -Invoke Write-Log -Times 1 -Exactly -ParameterFilter { $Level -eq 'WARN' -and $Message -eq 'Cannot write the metrics file X:\m.prom: disk full' }
            Mock Write-MetricsFile { }
            Update-MetricsFile -Settings $settings -Address '1.2.3.4' -Success $true -DurationSeconds 1 -Restarts 0 -Log $log
            $log.Warned['MetricsFile'] | Should -BeExactly ''
        }
    }

    It 'writes nothing where Get-WriteTargetProblem finds a reason, and warns once with it' {
        InModuleScope WslPortProxy {
            Mock Get-WriteTargetProblem { 'its folder X:\ does not exist' }
            Mock Get-PortCheck { }
            Mock Write-MetricsFile { }
            Mock Write-Log { }
            $log = [pscustomobject]@{ Warned = @{} }
            $settings = [pscustomobject]@{ MetricsFile = 'X:\m.prom'; Server = 'A'; Distro = 'd' }
            foreach ($run in 1..2) {
                Update-MetricsFile -Settings $settings -Address '1.2.3.4' -Success $true -DurationSeconds 1 -Restarts 0 -Log $log
            }
            Should -Invoke Write-MetricsFile -Times 0 -Exactly
            Should -Invoke Write-Log -Times 1 -Exactly -ParameterFilter { $Level -eq 'WARN' -and $Message -eq 'Cannot write the metrics file X:\m.prom: its folder X:\ does not exist' }
        }
    }
}
